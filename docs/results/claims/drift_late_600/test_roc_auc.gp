# Draws test_roc_auc.svg from test_roc_auc.dat: gnuplot test_roc_auc.gp
set terminal svg size 900,520 dynamic background '#ffffff'
set termoption noenhanced
set output 'test_roc_auc.svg'
set title 'test roc_auc of main per method'
set xlabel 'method'
set ylabel 'roc_auc'
set grid
set key outside right
set offsets 0.5, 0.5, 0, 0
set xtics rotate by -30
plot 'test_roc_auc.dat' index 0 using 1:2:3:xtic(4) with yerrorbars pt 7 ps 1.2 lw 2 title 'mean +- sd over 20 seeds'
