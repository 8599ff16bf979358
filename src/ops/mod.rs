//! check / install / diff / uninstall: executing a [`crate::plan`] against a live org, with backups.
