# Draws weights_per_epoch_hydalearn.svg from weights_per_epoch_hydalearn.dat: gnuplot weights_per_epoch_hydalearn.gp
set terminal svg size 900,520 dynamic background '#ffffff'
set termoption noenhanced
set output 'weights_per_epoch_hydalearn.svg'
set title 'hydalearn: mean task weight per epoch, first seed'
set xlabel 'epoch'
set ylabel 'weight'
set grid
set key outside right
plot 'weights_per_epoch_hydalearn.dat' index 0 using 1:2 with lines lw 2 title 'main', \
     'weights_per_epoch_hydalearn.dat' index 1 using 1:2 with lines lw 2 title 'aux', \
     'weights_per_epoch_hydalearn.dat' index 2 using 1:2 with lines lw 2 title 'noise'
