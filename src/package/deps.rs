//! The dependency integrations' objects the package needs, as their owners define them: QRadar
//! Advisor integration 2.0, MITRE integration 1.0 and QRadar integration 2.0 (optional).
//!
//! Uuids, labels, tooltips, input types and select values are those of the integrations' own
//! exports (`fn_qradar_advisor`, `fn_mitre_integration`, `fn_qradar_integration` in
//! resilient-community-apps; `reference/functions.md` §1, §2). Where the versions the package
//! names differ from those exports, the version named wins:
//! - MITRE 1.0 tables have no `collection` column, call the technique description
//!   `tech_description` (2.x: `technique_description`, same column uuid), and use the 1.0 labels
//!   ("MITRE ATT&CK of Incident", "ATT&CK Tactic", ...);
//! - QRadar 2.0's `qradar_reference_set` has columns `reference_set`, `item_value`, `source`
//!   (the 2021 export is the multi-server shape); no export carries the uuids of `item_value` and
//!   `source`, so they are derived like the package's own ([`UuidOf::V5`]);
//! - the 2.0 find-reference-sets workflow runs on artifacts and has no `qradar_label` input.
//!
//! These objects are never created or removed by the package's uninstall; `check` looks for
//! them, `diff` compares them, and `serve --seed-integrations` installs them.

use super::handles::*;
use super::scripts;

/// One integration the package depends on, and the objects of it the package needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Integration {
    /// Product name, as the package's README names it.
    pub name: &'static str,
    /// Its Python package (and section of app.config).
    pub package: &'static str,
    /// The version the package was written against.
    pub version: &'static str,
    /// False for the QRadar integration: only the map-rule flow's feeder needs it.
    pub required: bool,
    pub functions: &'static [&'static FunctionDef],
    pub destinations: &'static [&'static DestinationDef],
    pub tables: &'static [&'static TableDef],
    pub incident_fields: &'static [&'static IncidentFieldDef],
    /// The integration's own workflows and rules the package's story uses (seed only; the
    /// package's .res does not carry them).
    pub workflows: &'static [&'static WorkflowDef],
    pub rules: &'static [&'static RuleDef],
}

/// One object of an integration, identified as [`crate::res::Kind`] identifies objects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DependencyObject {
    pub kind: crate::res::Kind,
    /// The member [`crate::res::Kind::api_name_key`] names: a function's name, a field's
    /// `export_key` (`__function/<name>`, `incident/<name>`), a destination's programmatic name,
    /// a data table's type name.
    pub api_name: String,
    pub uuid: String,
}

impl Integration {
    /// The functions, their input fields, the message destinations, the data tables and the
    /// incident fields the package needs from this integration (not its own workflows and rules,
    /// which only the seed carries), in that order.
    pub fn objects(&self) -> Vec<DependencyObject> {
        use crate::res::Kind;
        let mut out = Vec::new();
        for f in self.functions {
            out.push(DependencyObject {
                kind: Kind::Function,
                api_name: f.name.to_owned(),
                uuid: f.uuid.to_owned(),
            });
            for i in f.inputs {
                out.push(DependencyObject {
                    kind: Kind::Field,
                    api_name: format!("__function/{}", i.name),
                    uuid: i.uuid.to_owned(),
                });
            }
        }
        for d in self.destinations {
            out.push(DependencyObject {
                kind: Kind::MessageDestination,
                api_name: d.programmatic_name.to_owned(),
                uuid: d.uuid.to_owned(),
            });
        }
        for t in self.tables {
            out.push(DependencyObject {
                kind: Kind::DataTable,
                api_name: t.type_name.to_owned(),
                uuid: t.uuid(),
            });
        }
        for f in self.incident_fields {
            out.push(DependencyObject {
                kind: Kind::Field,
                api_name: format!("incident/{}", f.name),
                uuid: f.uuid.to_owned(),
            });
        }
        out
    }
}

/// The integrations the package depends on: QRadar Advisor, MITRE, QRadar (optional).
pub fn dependencies() -> [&'static Integration; 3] {
    [&QRADAR_ADVISOR, &MITRE, &QRADAR]
}

// ---------------------------------------------------------------------------------------------
// QRadar Advisor integration 2.0 (fn_qradar_advisor)

pub static QRADAR_ADVISOR: Integration = Integration {
    name: "QRadar Advisor integration",
    package: "fn_qradar_advisor",
    version: "2.0",
    required: true,
    functions: &[&QRADAR_ADVISOR_OFFENSE_ANALYSIS, &QRADAR_ADVISOR_MAP_RULE],
    destinations: &[&FN_QRADAR_ADVISOR],
    tables: &[],
    incident_fields: &[&QRADAR_ID],
    workflows: &[],
    rules: &[],
};

pub static FN_QRADAR_ADVISOR: DestinationDef = DestinationDef {
    uuid: "20c95fca-1ff4-468d-b1b0-d237ce9f1bc2",
    programmatic_name: "fn_qradar_advisor",
    name: "fn_qradar_advisor",
};

pub static QRADAR_OFFENSE_ID: InputDef = InputDef {
    uuid: "6ad482db-6291-4667-abe2-88f0d9f8e644",
    name: "qradar_offense_id",
    text: "qradar_offense_id",
    tooltip: "QRadar Offense ID",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static STAGE1: SelectValueDef = SelectValueDef {
    uuid: "8c5ac94f-df6f-4247-9071-36eb3ff100a9",
    label: "stage1",
    default: false,
};
pub static STAGE2: SelectValueDef = SelectValueDef {
    uuid: "1a5d6dac-cc24-404c-a655-28bad64aa0a5",
    label: "stage2",
    default: false,
};
pub static STAGE3: SelectValueDef = SelectValueDef {
    uuid: "bee62681-b35f-4ff8-9c4f-52489e6920cf",
    label: "stage3",
    default: true,
};

pub static QRADAR_ADVISOR_RESULT_STAGE: InputDef = InputDef {
    uuid: "48819fe4-2c70-488a-9996-9581a81d886a",
    name: "qradar_advisor_result_stage",
    text: "qradar_advisor_result_stage",
    tooltip: "stage1(Local), stage2(Watson enriched), stage3(Expanded local context)",
    placeholder: "",
    input_type: InputType::Select,
    values: &[&STAGE1, &STAGE2, &STAGE3],
};

pub static QRADAR_ANALYSIS_RESTART_IF_EXISTED: InputDef = InputDef {
    uuid: "eb4d07be-006d-41d9-9392-ed22cefff172",
    name: "qradar_analysis_restart_if_existed",
    text: "qradar_analysis_restart_if_existed",
    tooltip: "restart the analysis if there is an existing result",
    placeholder: "",
    input_type: InputType::Boolean,
    values: &[],
};

pub static QRADAR_ADVISOR_OFFENSE_ANALYSIS: FunctionDef = FunctionDef {
    uuid: "744e9c8b-f00f-4a71-9ae6-c3dde388d6fa",
    name: "qradar_advisor_offense_analysis",
    display_name: "QRadar Advisor Offense Analysis",
    description: "Given a SOAR artifact, this function performs a QRadar Advisor analysis and \
                  returns Local, Watson enriched, or Expanded local context (default) results.",
    destination: &FN_QRADAR_ADVISOR,
    inputs: &[
        &QRADAR_OFFENSE_ID,
        &QRADAR_ADVISOR_RESULT_STAGE,
        &QRADAR_ANALYSIS_RESTART_IF_EXISTED,
    ],
};

pub static QRADAR_RULE_NAME: InputDef = InputDef {
    uuid: "78a948ce-77d3-4bad-9b53-fe184925950e",
    name: "qradar_rule_name",
    text: "qradar_rule_name",
    tooltip: "Name of QRadar rule",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static QRADAR_ADVISOR_MAP_RULE: FunctionDef = FunctionDef {
    uuid: "f1dbf8b7-a5ed-45e4-b788-4edc49830993",
    name: "qradar_advisor_map_rule",
    display_name: "QRadar Advisor Map Rule",
    description: "Map rule to MITRE ATT&CK tactic.",
    destination: &FN_QRADAR_ADVISOR,
    inputs: &[&QRADAR_RULE_NAME],
};

/// The QRadar offense id an escalated incident carries. Created by the QRadar integration's
/// escalation and shipped by QRadar Advisor too (same uuid in both exports); the package's
/// offense workflow reads it, so it is listed under the required integration.
pub static QRADAR_ID: IncidentFieldDef = IncidentFieldDef {
    uuid: "aedb7df6-642a-4438-824d-fe24be34cfc0",
    name: "qradar_id",
    text: "qradar_id",
    tooltip: "",
    placeholder: "",
    input_type: InputType::Text,
};

// ---------------------------------------------------------------------------------------------
// MITRE integration 1.0 (fn_mitre_integration)

pub static MITRE: Integration = Integration {
    name: "MITRE integration",
    package: "fn_mitre_integration",
    version: "1.0",
    required: true,
    functions: &[&MITRE_TACTIC_INFORMATION, &MITRE_TECHNIQUE_INFORMATION],
    destinations: &[&FN_MITRE_INTEGRATION],
    tables: &[&MITRE_ATTACK_OF_INCIDENT, &MITRE_ATTACK_TECHNIQUES],
    incident_fields: &[],
    workflows: &[&MITRE_TECHNIQUE_TASK],
    rules: &[&CREATE_TASK_FOR_TECHNIQUE],
};

pub static FN_MITRE_INTEGRATION: DestinationDef = DestinationDef {
    uuid: "c3551d80-d067-4727-97e3-ac57f402fb25",
    programmatic_name: "fn_mitre_integration",
    name: "fn_mitre_integration",
};

pub static MITRE_TACTIC_ID: InputDef = InputDef {
    uuid: "db52ab04-e2b8-453c-a8bf-6f7dd33112d3",
    name: "mitre_tactic_id",
    text: "mitre_tactic_id",
    tooltip: "MITRE ATT&CK Tactic ID",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static MITRE_TACTIC_NAME: InputDef = InputDef {
    uuid: "e0f4ca41-1d57-46a8-ad86-a1ced4e0a729",
    name: "mitre_tactic_name",
    text: "mitre_tactic_name",
    tooltip: "MITRE Tactic Name",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static MITRE_TACTIC_INFORMATION: FunctionDef = FunctionDef {
    uuid: "669947ce-ee8d-45f4-b0bc-778c278cfaea",
    name: "mitre_tactic_information",
    display_name: "MITRE Tactic Information",
    description: "Get information about MITRE tactic.\nTactics can be specified with a comma \
                  separated string of IDs or Names.\nIn case both are provided, the ID values \
                  take precedence as names are not guaranteed to be unique.",
    destination: &FN_MITRE_INTEGRATION,
    inputs: &[&MITRE_TACTIC_ID, &MITRE_TACTIC_NAME],
};

pub static MITRE_TECHNIQUE_ID: InputDef = InputDef {
    uuid: "355792bf-f5e0-4ad4-9a5e-fd967903b098",
    name: "mitre_technique_id",
    text: "mitre_technique_id",
    tooltip: "",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static MITRE_TECHNIQUE_NAME: InputDef = InputDef {
    uuid: "8b21bdea-44fe-42b7-812b-61ee4d33f34b",
    name: "mitre_technique_name",
    text: "mitre_technique_name",
    tooltip: "",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static MITRE_TECHNIQUE_MITIGATION_ONLY: InputDef = InputDef {
    uuid: "878cd332-ad20-42b3-8ffe-00233096e87f",
    name: "mitre_technique_mitigation_only",
    text: "mitre_technique_mitigation_only",
    tooltip: "Retrieve the mitigation only",
    placeholder: "",
    input_type: InputType::Boolean,
    values: &[],
};

pub static MITRE_TECHNIQUE_INFORMATION: FunctionDef = FunctionDef {
    uuid: "86310edc-9cbc-4a44-b983-f69fa95dcdec",
    name: "mitre_technique_information",
    display_name: "MITRE Technique Information",
    description: "Get ATT&CK information about MITRE ATT&CK technique.\nIn case both ID and name \
                  are provided, the ID value takes precedence as names are not guaranteed to be \
                  unique.",
    destination: &FN_MITRE_INTEGRATION,
    inputs: &[
        &MITRE_TECHNIQUE_ID,
        &MITRE_TECHNIQUE_NAME,
        &MITRE_TECHNIQUE_MITIGATION_ONLY,
    ],
};

pub static MITRE_ATTACK_OF_INCIDENT: TableDef = TableDef {
    uuid: UuidOf::Real("70a7968b-5758-4052-9dcb-c5cc16688339"),
    type_name: "mitre_attack_of_incident",
    display_name: "MITRE ATT&CK of Incident",
    columns: &[
        &ColumnDef {
            uuid: UuidOf::Real("54c78f06-438d-43da-b835-e9a63715bf76"),
            name: "tactic_code",
            text: "Tactic Code",
            tooltip: "Tactic's ID in MITRE",
            input_type: InputType::Text,
            rich_text: false,
            order: 1,
            width: 55,
        },
        &ColumnDef {
            uuid: UuidOf::Real("61d22935-99c4-4a30-9b49-23208d3b106f"),
            name: "attack_tactic",
            text: "ATT&CK Tactic",
            tooltip: "Tactic's name in MITRE",
            input_type: InputType::Text,
            rich_text: false,
            order: 2,
            width: 127,
        },
        &ColumnDef {
            uuid: UuidOf::Real("f5dc0711-012e-4127-82b2-8adece60417b"),
            name: "confidence",
            text: "Confidence",
            tooltip: "Confidence of the mapping",
            input_type: InputType::Text,
            rich_text: false,
            order: 3,
            width: 67,
        },
        &ColumnDef {
            uuid: UuidOf::Real("557aa983-94d6-45d6-a4b9-fc0fdec930f7"),
            name: "reference",
            text: "Reference",
            tooltip: "url links for MITRE ATT&CK Tactic",
            input_type: InputType::Textarea,
            rich_text: true,
            order: 4,
            width: 407,
        },
    ],
};

pub static MITRE_ATTACK_TECHNIQUES: TableDef = TableDef {
    uuid: UuidOf::Real("c2baf0af-dcc1-40a0-af37-07a7745c56ba"),
    type_name: "mitre_attack_techniques",
    display_name: "MITRE ATT&CK Techniques",
    columns: &[
        &ColumnDef {
            uuid: UuidOf::Real("9177895d-eced-4605-ac15-711b052d0c90"),
            name: "tactic",
            text: "Tactic",
            tooltip: "MITRE ATT&CK Tactic name",
            input_type: InputType::Text,
            rich_text: false,
            order: 1,
            width: 70,
        },
        &ColumnDef {
            uuid: UuidOf::Real("27a78277-5d3f-4730-bcdf-bcca747a8078"),
            name: "technique_id",
            text: "Technique id",
            tooltip: "MITRE ATT&CK Technique ID",
            input_type: InputType::Text,
            rich_text: false,
            order: 2,
            width: 66,
        },
        &ColumnDef {
            uuid: UuidOf::Real("35d35b5d-5d5d-4f48-bb86-925b88e6fb64"),
            name: "technique_name",
            text: "Technique name",
            tooltip: "MITRE ATT&CK Technique name",
            input_type: InputType::Text,
            rich_text: false,
            order: 3,
            width: 53,
        },
        &ColumnDef {
            uuid: UuidOf::Real("40e1e293-9d47-430e-a156-86668093ab78"),
            name: "references",
            text: "References",
            tooltip: "url references for MITRE ATT&CK Technique",
            input_type: InputType::Textarea,
            rich_text: true,
            order: 4,
            width: 125,
        },
        // 1.0's name for the column 2.x calls `technique_description` (same uuid).
        &ColumnDef {
            uuid: UuidOf::Real("453a20a9-158b-4db1-bc5d-e5c1dd855e93"),
            name: "tech_description",
            text: "Description",
            tooltip: "Description of MITRE ATT&CK Technique",
            input_type: InputType::Text,
            rich_text: false,
            order: 5,
            width: 226,
        },
        &ColumnDef {
            uuid: UuidOf::Real("37ace286-fff1-4dfc-965f-4353cf87bd2d"),
            name: "detection",
            text: "Detection",
            tooltip: "Detection of MITRE ATT&CK Technique",
            input_type: InputType::Text,
            rich_text: false,
            order: 6,
            width: 179,
        },
    ],
};

/// MITRE's "Example: MITRE Add a Task from a Technique" (§3.4): a menu item on technique rows
/// that turns one technique into an incident task.
pub static MITRE_TECHNIQUE_TASK: WorkflowDef = WorkflowDef {
    uuid: UuidOf::Real("7866c7de-d0c1-4365-ab1f-ee0df0cf5e67"),
    programmatic_name: "mitre_technique_task",
    name: "Example: MITRE Add a Task from a Technique",
    description: "Given a MITRE technique, create an Incident task to further investigate the \
                  technique.",
    object_type: ObjectType::Table(&MITRE_ATTACK_TECHNIQUES),
    steps: &[StepDef {
        function: &MITRE_TECHNIQUE_INFORMATION,
        inputs: &[],
        pre: Some(&scripts::TECHNIQUE_TASK_PRE),
        post: Some(&scripts::TECHNIQUE_TASK_POST),
        result_name: "",
    }],
};

/// The 2.0 rule name; the 2025 export carries this uuid for the same menu item, renamed
/// "MITRE: Create Task for ATT&CK Technique".
pub static CREATE_TASK_FOR_TECHNIQUE: RuleDef = RuleDef {
    uuid: UuidOf::Real("dc8259e1-2c75-40be-8d04-52e7e1530c2e"),
    name: "Create Task for MITRE ATT&CK technique",
    object_type: ObjectType::Table(&MITRE_ATTACK_TECHNIQUES),
    conditions: &[],
    workflows: &[&MITRE_TECHNIQUE_TASK],
};

// ---------------------------------------------------------------------------------------------
// QRadar integration 2.0 (fn_qradar_integration), optional

pub static QRADAR: Integration = Integration {
    name: "QRadar integration",
    package: "fn_qradar_integration",
    version: "2.0",
    required: false,
    functions: &[&QRADAR_FIND_REFERENCE_SETS],
    destinations: &[&FN_QRADAR_INTEGRATION],
    tables: &[&QRADAR_REFERENCE_SET],
    incident_fields: &[],
    workflows: &[&QRADAR_FIND_REFERENCE_SETS_ARTIFACT],
    rules: &[&FIND_ALL_QRADAR_REFERENCE_SETS],
};

pub static FN_QRADAR_INTEGRATION: DestinationDef = DestinationDef {
    uuid: "1184d338-96e3-4315-8b2c-b0b9e623573c",
    programmatic_name: "fn_qradar_integration",
    name: "fn_qradar_integration",
};

pub static QRADAR_REFERENCE_SET_ITEM_VALUE: InputDef = InputDef {
    uuid: "db5af2ee-cb1a-46c7-82ff-c6f88a5aa7e9",
    name: "qradar_reference_set_item_value",
    text: "qradar_reference_set_item_value",
    tooltip: "Value of a QRadar reference set item",
    placeholder: "",
    input_type: InputType::Text,
    values: &[],
};

pub static QRADAR_FIND_REFERENCE_SETS: FunctionDef = FunctionDef {
    uuid: "09885813-f640-45bc-8892-d1a741a7d53e",
    name: "qradar_find_reference_sets",
    display_name: "QRadar Find Reference Sets",
    description: "Find reference sets that contain a given item value, together with information \
                  about this item in those reference sets. Information includes whether this \
                  item is added to the reference set manually or by a rule.",
    destination: &FN_QRADAR_INTEGRATION,
    inputs: &[&QRADAR_REFERENCE_SET_ITEM_VALUE],
};

/// The column the map-rule rule's condition tests and its first step reads.
pub static REFERENCE_SET_SOURCE: ColumnDef = ColumnDef {
    uuid: UuidOf::V5,
    name: "source",
    text: "Source",
    tooltip: "how this value is added to the reference set",
    input_type: InputType::Text,
    rich_text: false,
    order: 2,
    width: 250,
};

pub static QRADAR_REFERENCE_SET: TableDef = TableDef {
    uuid: UuidOf::Real("1eef8608-0621-475e-a28e-e92a382046ac"),
    type_name: "qradar_reference_set",
    display_name: "QRadar Reference Set",
    columns: &[
        &ColumnDef {
            uuid: UuidOf::Real("146108ce-5ca6-4841-968c-5b786ae7638c"),
            name: "reference_set",
            text: "Reference Set",
            tooltip: "Name of reference set",
            input_type: InputType::Text,
            rich_text: false,
            order: 0,
            width: 198,
        },
        &ColumnDef {
            uuid: UuidOf::V5,
            name: "item_value",
            text: "Item Value",
            tooltip: "Item value",
            input_type: InputType::Text,
            rich_text: false,
            order: 1,
            width: 150,
        },
        &REFERENCE_SET_SOURCE,
    ],
};

/// QRadar's "Example of finding all QRadar reference sets for artifact" (§3.3): feeds the
/// reference set rows the package's map-rule workflow runs on.
pub static QRADAR_FIND_REFERENCE_SETS_ARTIFACT: WorkflowDef = WorkflowDef {
    uuid: UuidOf::Real("6fadb968-e2f2-4e23-8525-2b02b980e7d6"),
    programmatic_name: "qradar_find_reference_sets_artifact",
    name: "Example of finding all QRadar reference sets for artifact",
    description: "Find all the QRadar reference sets that contain the given artifact",
    object_type: ObjectType::Artifact,
    steps: &[StepDef {
        function: &QRADAR_FIND_REFERENCE_SETS,
        inputs: &[],
        pre: Some(&scripts::FIND_REFERENCE_SETS_PRE),
        post: Some(&scripts::FIND_REFERENCE_SETS_POST),
        result_name: "",
    }],
};

/// The 2.0 artifact menu item. The later export's rule for this workflow runs on another object
/// (`qradar_servers`), so this one's uuid is derived.
pub static FIND_ALL_QRADAR_REFERENCE_SETS: RuleDef = RuleDef {
    uuid: UuidOf::V5,
    name: "Find All QRadar Reference Sets",
    object_type: ObjectType::Artifact,
    conditions: &[],
    workflows: &[&QRADAR_FIND_REFERENCE_SETS_ARTIFACT],
};
