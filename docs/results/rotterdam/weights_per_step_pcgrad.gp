# Draws weights_per_step_pcgrad.svg from weights_per_step_pcgrad.dat: gnuplot weights_per_step_pcgrad.gp
set terminal svg size 900,520 dynamic background '#ffffff'
set termoption noenhanced
set output 'weights_per_step_pcgrad.svg'
set title 'pcgrad: task weights per step, first seed'
set xlabel 'step'
set ylabel 'weight'
set grid
set key outside right
plot 'weights_per_step_pcgrad.dat' index 0 using 1:2 with lines lw 2 title 'death', \
     'weights_per_step_pcgrad.dat' index 1 using 1:2 with lines lw 2 title 'recur', \
     'weights_per_step_pcgrad.dat' index 2 using 1:2 with lines lw 2 title 'rtime'
