//! The package's own objects: install creates them, uninstall removes them (DESIGN.md "The
//! package"; `reference/functions.md` §3.1, §3.2, §2.3). Their uuids are derived
//! ([`UuidOf::V5`]).

use super::deps::*;
use super::handles::*;
use super::scripts;

/// "MITRE ATT&CK of Artifact": the tactics QRadar Advisor maps the rule behind an artifact's
/// reference-set entry to. Column API names are inferred (§2.3): no copy of the original
/// package's definition survives.
pub static MITRE_ATTACK_OF_ARTIFACT: TableDef = TableDef {
    uuid: UuidOf::V5,
    type_name: "mitre_attack_of_artifact",
    display_name: "MITRE ATT&CK of Artifact",
    columns: &[
        &ColumnDef {
            uuid: UuidOf::V5,
            name: "artifact",
            text: "Artifact",
            tooltip: "The artifact value found in the QRadar reference set",
            input_type: InputType::Text,
            rich_text: false,
            order: 0,
            width: 150,
        },
        &ColumnDef {
            uuid: UuidOf::V5,
            name: "attack_tactic",
            text: "MITRE ATT&CK Tactic",
            tooltip: "Tactic's name in MITRE",
            input_type: InputType::Text,
            rich_text: false,
            order: 1,
            width: 150,
        },
        &ColumnDef {
            uuid: UuidOf::V5,
            name: "tactic_code",
            text: "Tactic Code",
            tooltip: "Tactic's ID in MITRE",
            input_type: InputType::Text,
            rich_text: false,
            order: 2,
            width: 80,
        },
        &ColumnDef {
            uuid: UuidOf::V5,
            name: "confidence",
            text: "Confidence",
            tooltip: "QRadar Advisor's confidence in the mapping of the rule to the tactic",
            input_type: InputType::Text,
            rich_text: false,
            order: 3,
            width: 80,
        },
        &ColumnDef {
            uuid: UuidOf::V5,
            name: "reference",
            text: "Reference",
            tooltip: "url links for MITRE ATT&CK Tactic",
            input_type: InputType::Textarea,
            rich_text: true,
            order: 4,
            width: 300,
        },
    ],
};

/// Offense analysis with QRadar Advisor, then the MITRE tactics it found (§3.1).
pub static OFFENSE_ANALYSIS_MITRE: WorkflowDef = WorkflowDef {
    uuid: UuidOf::V5,
    programmatic_name: "qradar_advisor_offense_analysis_mitre",
    name: "Example of QRadar Advisor Offense Analysis with MITRE",
    description: "Analyse the incident's QRadar offense with QRadar Advisor, look up the MITRE \
                  ATT&CK tactics it relates the offense to, and list them with QRadar Advisor's \
                  confidence in the data tables MITRE ATT&CK of Incident and MITRE ATT&CK \
                  Techniques.",
    object_type: ObjectType::Incident,
    steps: &[
        StepDef {
            function: &QRADAR_ADVISOR_OFFENSE_ANALYSIS,
            inputs: &[
                StaticInputDef {
                    input: &QRADAR_ADVISOR_RESULT_STAGE,
                    value: StaticValue::Select(&STAGE3),
                },
                StaticInputDef {
                    input: &QRADAR_ANALYSIS_RESTART_IF_EXISTED,
                    value: StaticValue::Boolean(true),
                },
            ],
            pre: Some(&scripts::OFFENSE_ANALYSIS_PRE),
            post: None,
            result_name: "qraw_offense_insights",
        },
        StepDef {
            function: &MITRE_TACTIC_INFORMATION,
            inputs: &[],
            pre: Some(&scripts::TACTIC_INFO_PRE_OFFENSE),
            post: Some(&scripts::TACTIC_INFO_POST_OFFENSE),
            result_name: "",
        },
    ],
};

/// The rule behind a reference-set entry, mapped to MITRE tactics (§3.2).
pub static MAP_RULE_TO_TACTIC: WorkflowDef = WorkflowDef {
    uuid: UuidOf::V5,
    programmatic_name: "qradar_advisor_map_rule_to_tactic",
    name: "Example of mapping QRadar rule to tactic",
    description: "Map the QRadar rule that added this value to the reference set to MITRE ATT&CK \
                  tactics with QRadar Advisor, and list them in the data tables MITRE ATT&CK of \
                  Artifact and MITRE ATT&CK Techniques.",
    object_type: ObjectType::Table(&QRADAR_REFERENCE_SET),
    steps: &[
        StepDef {
            function: &QRADAR_ADVISOR_MAP_RULE,
            inputs: &[],
            pre: Some(&scripts::MAP_RULE_PRE),
            post: None,
            result_name: "qraw_rule_map",
        },
        StepDef {
            function: &MITRE_TACTIC_INFORMATION,
            inputs: &[],
            pre: Some(&scripts::TACTIC_INFO_PRE_MAP_RULE),
            post: Some(&scripts::TACTIC_INFO_POST_MAP_RULE),
            result_name: "",
        },
    ],
};

pub static OFFENSE_ANALYSIS_RULE: RuleDef = RuleDef {
    uuid: UuidOf::V5,
    name: "QRadar Advisor Offense Analysis with MITRE",
    object_type: ObjectType::Incident,
    conditions: &[ConditionDef {
        field: ConditionField::Incident(&QRADAR_ID),
        method: Method::HasAValue,
    }],
    workflows: &[&OFFENSE_ANALYSIS_MITRE],
};

pub static MAP_RULE_RULE: RuleDef = RuleDef {
    uuid: UuidOf::V5,
    name: "Map rule to MITRE tactic",
    object_type: ObjectType::Table(&QRADAR_REFERENCE_SET),
    conditions: &[ConditionDef {
        field: ConditionField::Column(&QRADAR_REFERENCE_SET, &REFERENCE_SET_SOURCE),
        method: Method::HasAValue,
    }],
    workflows: &[&MAP_RULE_TO_TACTIC],
};

/// The package's rules, in menu order (`action_order`).
pub static RULES: [&RuleDef; 2] = [&OFFENSE_ANALYSIS_RULE, &MAP_RULE_RULE];
/// The package's workflows.
pub static WORKFLOWS: [&WorkflowDef; 2] = [&OFFENSE_ANALYSIS_MITRE, &MAP_RULE_TO_TACTIC];
/// The package's data tables.
pub static TABLES: [&TableDef; 1] = [&MITRE_ATTACK_OF_ARTIFACT];
