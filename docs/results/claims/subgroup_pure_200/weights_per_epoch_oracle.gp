# Draws weights_per_epoch_oracle.svg from weights_per_epoch_oracle.dat: gnuplot weights_per_epoch_oracle.gp
set terminal svg size 900,520 dynamic background '#ffffff'
set termoption noenhanced
set output 'weights_per_epoch_oracle.svg'
set title 'oracle: mean task weight per epoch, first seed'
set xlabel 'epoch'
set ylabel 'weight'
set grid
set key outside right
plot 'weights_per_epoch_oracle.dat' index 0 using 1:2 with lines lw 2 title 'main', \
     'weights_per_epoch_oracle.dat' index 1 using 1:2 with lines lw 2 title 'aux', \
     'weights_per_epoch_oracle.dat' index 2 using 1:2 with lines lw 2 title 'noise'
