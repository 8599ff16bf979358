//! The typed model of SOAR resource files (`.res`): every object kind, the readers for every
//! container IBM tools write, the canonical writer, and the workflow BPMN model.

pub mod bpmn;
