//! The SOAR REST client: connection settings, authentication, org lookup, export, two-phase
//! import, and list/get/delete of configuration objects.
