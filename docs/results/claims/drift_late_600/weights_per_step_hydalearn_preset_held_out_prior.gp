# Draws weights_per_step_hydalearn_preset_held_out_prior.svg from weights_per_step_hydalearn_preset_held_out_prior.dat: gnuplot weights_per_step_hydalearn_preset_held_out_prior.gp
set terminal svg size 900,520 dynamic background '#ffffff'
set termoption noenhanced
set output 'weights_per_step_hydalearn_preset_held_out_prior.svg'
set title 'hydalearn:preset=held_out_prior: task weights per step (moving average over 3 steps), first seed'
set xlabel 'step'
set ylabel 'weight'
set grid
set key outside right
plot 'weights_per_step_hydalearn_preset_held_out_prior.dat' index 0 using 1:2 with lines lw 2 title 'main', \
     'weights_per_step_hydalearn_preset_held_out_prior.dat' index 1 using 1:2 with lines lw 2 title 'aux', \
     'weights_per_step_hydalearn_preset_held_out_prior.dat' index 2 using 1:2 with lines lw 2 title 'noise'
