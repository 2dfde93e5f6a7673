# Every workload x threads cell on one page: one bar per backend (glibc is
# the line at 1), median wall time divided by glibc's, log axis, 95% bootstrap
# interval as error bars. A backend with no ok run in a cell gets its status
# written at 1. Variables: DATA (one block per backend) NAMES COLOURS NB
# NCELLS BARW XTICS YMIN YMAX YTICS TITLE SUBTITLE.
reset
set title TITLE."\n".SUBTITLE font ",12"
set logscale y
set yrange [YMIN:YMAX]
eval "set ytics (".YTICS.")"
set ylabel "median wall time ÷ glibc's (ratio, log scale)\nbelow 1: faster than glibc"
set xrange [-0.6:NCELLS-0.4]
eval "set xtics (".XTICS.")"
set xtics nomirror scale 0 rotate by -20 left
set grid ytics lc rgb "#dddddd"
set border 3
set key top left horizontal reverse Left samplen 1.5 box opaque
set style fill solid 0.85 border rgb "#333333"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#000000" dt 2
set label 1 "glibc = 1" at graph 0, first 1 left offset 0.5,0.6 font ",9"
set bmargin 5
lo(r) = r < 1 ? r : 1
hi(r) = r < 1 ? 1 : r
plot for [i=1:NB] DATA index (i-1) using 1:2:($1-BARW/2):($1+BARW/2):(lo($2)):(hi($2)) \
         with boxxyerror lc rgb word(COLOURS, i) title word(NAMES, i), \
     for [i=1:NB] DATA index (i-1) using 1:2:3:4 with yerrorbars lc rgb "#222222" lw 1.2 pt 7 ps 0.35 notitle, \
     for [i=1:NB] DATA index (i-1) using 1:(1):5 with labels rotate by 90 left offset 0,0.5 font ",8" textcolor rgb "#C00000" notitle
