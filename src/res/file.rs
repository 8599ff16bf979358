//! [`ResFile`]: the whole resource file, SOAR's *ConfigurationExportDTO*.
use super::objects::*;
use super::slot::list;

res_object! {
    /// A resource file. Every list SOAR exports is typed; the rest (`overrides`,
    /// `inbound_destinations`, `case_matching_profiles`, the always-null lists, and anything a
    /// newer server adds) stays in `extra`.
    pub struct ResFile {
        export_format_version: i64,
        /// Epoch milliseconds.
        export_date: i64,
        id: serde_json::Value,
        server_version: serde_json::Value,
        export_type: String,
        locale: String,
        actions: Vec<Rule>,
        action_order: Vec<String>,
        automatic_tasks: Vec<AutomaticTask>,
        task_order: Vec<String>,
        fields: Vec<Field>,
        functions: Vec<Function>,
        message_destinations: Vec<MessageDestination>,
        workflows: Vec<Workflow>,
        playbooks: Vec<Playbook>,
        scripts: Vec<Script>,
        types: Vec<DataTable>,
        phases: Vec<Phase>,
        incident_types: Vec<IncidentType>,
        incident_artifact_types: Vec<ArtifactType>,
        layouts: Vec<NamedObject>,
        roles: Vec<NamedObject>,
        workspaces: Vec<NamedObject>,
        tags: Vec<NamedObject>,
        apps: Vec<NamedObject>,
    }
}

impl ResFile {
    pub fn rules(&self) -> &[Rule] {
        list(&self.actions)
    }
    pub fn workflows(&self) -> &[Workflow] {
        list(&self.workflows)
    }
    pub fn functions(&self) -> &[Function] {
        list(&self.functions)
    }
    pub fn fields(&self) -> &[Field] {
        list(&self.fields)
    }
    pub fn data_tables(&self) -> &[DataTable] {
        list(&self.types)
    }
    pub fn message_destinations(&self) -> &[MessageDestination] {
        list(&self.message_destinations)
    }
    pub fn scripts(&self) -> &[Script] {
        list(&self.scripts)
    }
    pub fn phases(&self) -> &[Phase] {
        list(&self.phases)
    }
    pub fn automatic_tasks(&self) -> &[AutomaticTask] {
        list(&self.automatic_tasks)
    }
    pub fn incident_types(&self) -> &[IncidentType] {
        list(&self.incident_types)
    }
    pub fn artifact_types(&self) -> &[ArtifactType] {
        list(&self.incident_artifact_types)
    }
    pub fn playbooks(&self) -> &[Playbook] {
        list(&self.playbooks)
    }
    pub fn action_order(&self) -> &[String] {
        list(&self.action_order)
    }
    pub fn task_order(&self) -> &[String] {
        list(&self.task_order)
    }

    /// The function with this uuid.
    pub fn function_by_uuid(&self, uuid: &str) -> Option<&Function> {
        self.functions()
            .iter()
            .find(|f| f.uuid.get().is_some_and(|u| u.as_str() == uuid))
    }

    /// The workflow with this programmatic name.
    pub fn workflow(&self, name: &str) -> Option<&Workflow> {
        self.workflows().iter().find(|w| {
            w.programmatic_name
                .get()
                .is_some_and(|n| n.as_str() == name)
        })
    }

    /// The data table with this type name.
    pub fn data_table(&self, name: &str) -> Option<&DataTable> {
        self.data_tables()
            .iter()
            .find(|t| t.type_name.get().is_some_and(|n| n.as_str() == name))
    }

    /// The field with this uuid, in `fields[]`.
    pub fn field_by_uuid(&self, uuid: &str) -> Option<&Field> {
        self.fields()
            .iter()
            .find(|f| f.uuid.get().is_some_and(|u| u.as_str() == uuid))
    }

    /// The server version string (`server_version.version`), when present.
    pub fn server_version_string(&self) -> Option<&str> {
        self.server_version.get()?.get("version")?.as_str()
    }
}
