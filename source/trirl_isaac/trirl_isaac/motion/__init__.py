"""Motion clips: the HDF5 format, validation, resampling and the discriminator features shared with the tasks."""
