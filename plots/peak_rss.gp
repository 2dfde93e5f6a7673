# Peak resident memory (VmHWM of the measured process, whole life) of every
# workload x threads cell x backend: bar = median over repetitions, error bar
# = min-max, log axis in MiB (a real program's own program_peak_rss_kib where
# the workload reports it). More than PERROW cells wrap into rows.
# Variables as overview.gp (NOTE goes in the top right corner).
reset
set multiplot layout NROWS,1 title TITLE."\n".SUBTITLE font ",12"
set logscale y
set yrange [YMIN:YMAX]
eval "set ytics (".YTICS.")"
set ylabel YLABEL
eval "set xtics (".XTICS.")"
set xtics nomirror scale 0 rotate by -20 left font ",9"
set grid ytics lc rgb "#dddddd"
set border 3
set style fill solid 0.85 border rgb "#333333"
set pointintervalbox 0
set label 1 NOTE at graph 1, graph 1.0 right offset 0,-0.5 font ",9" textcolor rgb "#444444"
set bmargin 6
set lmargin 12
set rmargin RMARGIN
do for [row=0:NROWS-1] {
    set xrange [row*PERROW-0.6 : row*PERROW+PERROW-0.4]
    if (row == 0) { set key top left horizontal reverse Left samplen 1.5 box opaque width KEYWIDTH } else { unset key; unset label 1 }
    plot for [i=1:NB] DATA index (i-1) using 1:2:($1-BARW/2):($1+BARW/2):(YMIN):2 \
             with boxxyerror lc rgb word(COLOURS, i) title word(NAMES, i), \
         for [i=1:NB] DATA index (i-1) using 1:2:3:4 with yerrorbars lc rgb "#222222" lw 1.2 pt 7 ps 0.35 notitle, \
         for [i=1:NB] DATA index (i-1) using 1:(YMIN*1.05):5 with labels rotate by 90 left font ",8" textcolor rgb "#C00000" notitle
}
unset multiplot
