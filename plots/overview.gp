# Every workload x threads cell on one page: per backend a dot at its cost
# (median wall time, time per operation for workloads that report ops/s, or
# instructions) divided by the baseline's, with its 95% bootstrap interval as
# a bar, on a log axis; the baseline is the line at 1. A filled dot differs
# measurably from the baseline, an open one does not (its interval holds 1,
# or it has none). Dots, not bars: ratios near 1 stay apart. A backend with
# no ok run in a cell gets its status written at 1. More than PERROW cells
# wrap into rows. Variables: DATA (one block per backend) NAMES COLOURS NB
# NCELLS PERROW NROWS BARW XTICS YMIN YMAX YTICS TITLE NOTE YLABEL KEYWIDTH
# RMARGIN SUBTITLE.
reset
set multiplot layout NROWS,1 title TITLE."\n".SUBTITLE."\n".NOTE font ",12"
set logscale y
set yrange [YMIN:YMAX]
eval "set ytics (".YTICS.")"
set ylabel YLABEL
eval "set xtics (".XTICS.")"
set xtics nomirror scale 0 rotate by -20 left font ",9"
set grid ytics lc rgb "#dddddd"
set border 3
set pointintervalbox 0
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#000000" dt 2
set bmargin 6
set lmargin 12
set rmargin RMARGIN
do for [row=0:NROWS-1] {
    set xrange [row*PERROW-0.6 : row*PERROW+PERROW-0.4]
    if (row == 0) { set key top left horizontal reverse Left samplen 1 box opaque width KEYWIDTH } else { unset key }
    plot for [i=1:NB] DATA index (i-1) using 1:2:3:4 with yerrorbars lc rgb word(COLOURS, i) lw 2 pt -1 notitle, \
         for [i=1:NB] DATA index (i-1) using 1:($6 > 0 ? $2 : NaN) with points pt 7 ps 1.3 lc rgb word(COLOURS, i) title word(NAMES, i), \
         for [i=1:NB] DATA index (i-1) using 1:($6 > 0 ? NaN : $2) with points pt 6 ps 1.3 lw 2 lc rgb word(COLOURS, i) notitle, \
         for [i=1:NB] DATA index (i-1) using 1:(1):5 with labels rotate by 90 left offset 0,0.5 font ",8" textcolor rgb "#C00000" notitle
}
unset multiplot
