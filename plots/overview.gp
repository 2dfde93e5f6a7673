# Every workload x threads cell on one page: one bar per backend (glibc is
# the line at 1), median time divided by glibc's (wall time, or time per
# operation for workloads that report ops/s), log axis, 95% bootstrap
# interval as error bars. A backend with no ok run in a cell gets its status
# written at 1. More than PERROW cells wrap into rows. Variables: DATA (one
# block per backend) NAMES COLOURS NB NCELLS PERROW NROWS BARW XTICS YMIN YMAX
# YTICS TITLE SUBTITLE.
reset
set multiplot layout NROWS,1 title TITLE."\n".SUBTITLE font ",12"
set logscale y
set yrange [YMIN:YMAX]
eval "set ytics (".YTICS.")"
set ylabel "median time ÷ glibc's (log scale)\nbelow 1: faster than glibc"
eval "set xtics (".XTICS.")"
set xtics nomirror scale 0 rotate by -20 left font ",9"
set grid ytics lc rgb "#dddddd"
set border 3
set style fill solid 0.85 border rgb "#333333"
set pointintervalbox 0
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#000000" dt 2
set bmargin 5
set lmargin 12
set rmargin 14
lo(r) = r < 1 ? r : 1
hi(r) = r < 1 ? 1 : r
do for [row=0:NROWS-1] {
    set xrange [row*PERROW-0.6 : row*PERROW+PERROW-0.4]
    if (row == 0) { set key top left horizontal reverse Left samplen 1.5 box opaque } else { unset key }
    plot for [i=1:NB] DATA index (i-1) using 1:2:($1-BARW/2):($1+BARW/2):(lo($2)):(hi($2)) \
             with boxxyerror lc rgb word(COLOURS, i) title word(NAMES, i), \
         for [i=1:NB] DATA index (i-1) using 1:2:3:4 with yerrorbars lc rgb "#222222" lw 1.2 pt 7 ps 0.35 notitle, \
         for [i=1:NB] DATA index (i-1) using 1:(1):5 with labels rotate by 90 left offset 0,0.5 font ",8" textcolor rgb "#C00000" notitle
}
unset multiplot
