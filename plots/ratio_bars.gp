# One workload x threads cell: each backend's cost (median wall time, time
# per operation, or instructions) divided by the baseline backend's, as a bar
# from 1 (the baseline) up (slower) or down (faster), on a log axis so that
# 2x slower and 2x faster look alike; error bars are the 95% bootstrap
# interval from summary.csv. A pale bar is one whose interval holds 1: no
# measurable difference. A backend with no ok run is named at 1 with its
# status. Variables (set by prepare_gnuplot.py): DATA TITLE YLABEL NOTE
# SUBTITLE YMIN YMAX YTICS NBARS.
reset
set title TITLE."\n".SUBTITLE font ",12"
set label 1 NOTE at graph 0.01, graph 0.965 left font ",9" textcolor rgb "#444444"
set logscale y
set yrange [YMIN:YMAX]
eval "set ytics (".YTICS.")"
set ylabel YLABEL
set xlabel "backend"
set xrange [-0.6:NBARS-0.4]
set xtics nomirror scale 0
set grid ytics lc rgb "#dddddd"
set border 3
set key off
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#000000" dt 2
lo(r) = r < 1 ? r : 1
hi(r) = r < 1 ? 1 : r
# value labels sit beyond the bar's far end and its error bar
far(r, l, h) = r < 1 ? (l < r ? l : r) / 1.13 : (h > r ? h : r) * 1.13
plot DATA using 1:($9 > 0 ? $3 : NaN):($1-0.35):($1+0.35):(lo($3)):(hi($3)):6:xtic(2) \
         with boxxyerror fs solid 0.85 border rgb "#333333" lc rgb variable, \
     DATA using 1:($9 > 0 ? NaN : $3):($1-0.35):($1+0.35):(lo($3)):(hi($3)):6 \
         with boxxyerror fs transparent solid 0.3 border rgb "#999999" lc rgb variable, \
     DATA using 1:3:4:5 with yerrorbars lc rgb "#222222" lw 1.2 pt 7 ps 0.35, \
     DATA using 1:(far($3, valid(4) ? $4 : $3, valid(5) ? $5 : $3)):(sprintf("%.2f", $3)) with labels font ",9", \
     DATA using 1:(1):(strcol(7) eq "ok" ? "" : strcol(7)) with labels offset 0,0.9 font ",9" textcolor rgb "#C00000"
