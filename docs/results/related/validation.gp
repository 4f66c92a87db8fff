# Draws validation.svg from validation.dat: gnuplot validation.gp
set terminal svg size 900,520 dynamic background '#ffffff'
set termoption noenhanced
set output 'validation.svg'
set title 'validation roc_auc of main per epoch, mean over the seeds that reached the epoch'
set xlabel 'epoch'
set ylabel 'roc_auc'
set grid
set key outside right
plot 'validation.dat' index 0 using 1:2 with lines lw 2 title 'stl', \
     'validation.dat' index 1 using 1:2 with lines lw 2 title 'ew', \
     'validation.dat' index 2 using 1:2 with lines lw 2 title 'hydalearn', \
     'validation.dat' index 3 using 1:2 with lines lw 2 title 'hydalearn:gain=exact', \
     'validation.dat' index 4 using 1:2 with lines lw 2 title 'gcossim', \
     'validation.dat' index 5 using 1:2 with lines lw 2 title 'olaux', \
     'validation.dat' index 6 using 1:2 with lines lw 2 title 'pcgrad', \
     'validation.dat' index 7 using 1:2 with lines lw 2 title 'cagrad', \
     'validation.dat' index 8 using 1:2 with lines lw 2 title 'uncertainty'
