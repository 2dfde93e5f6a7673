# Throughput against thread count for a workload run at several counts:
# operations (threads x per-thread iterations) per second of wall time, one
# line per backend, median with min-max bars; the dashed line marks the
# machine's core count (beyond it threads share cores). Variables: DATA (one
# block per backend) NAMES COLOURS NB XTICS XMIN XMAX YLABEL TITLE SUBTITLE CORES.
reset
set title TITLE."\n".SUBTITLE font ",12"
set logscale x 2
set xrange [XMIN:XMAX]
eval "set xtics (".XTICS.")"
set xlabel "threads"
set ylabel YLABEL
set yrange [0:*]
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror
set ytics nomirror
set key outside right top samplen 2
set pointintervalbox 0
if (CORES > 0) { \
    set arrow 1 from CORES, graph 0 to CORES, graph 1 nohead lc rgb "#888888" dt 2; \
    set label 1 sprintf("%d cores", CORES) at CORES, graph 0.04 left offset 0.5,0 font ",9" textcolor rgb "#666666" }
# backends side by side at each thread count (a small shift on the log axis),
# so that their min-max bars do not hide each other
dodge(i) = 2**(0.035 * (i - (NB + 1) / 2.0))
plot for [i=1:NB] DATA index (i-1) using ($1*dodge(i)):2:3:4 with yerrorbars lw 1 pt 7 ps 0.9 \
         lc rgb word(COLOURS, i) notitle, \
     for [i=1:NB] DATA index (i-1) using ($1*dodge(i)):2 with lines lw 2.5 \
         lc rgb word(COLOURS, i) title word(NAMES, i)
