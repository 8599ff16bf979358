//! Live org versus package: the `Plan` value that diff prints and install/uninstall execute.
