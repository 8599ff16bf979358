//! Typed handles: the package's definitions as `static` data that refer to each other by
//! reference, never by name or uuid text.
//!
//! A workflow step holds `&'static FunctionDef`, a static input holds `&'static InputDef` and
//! `&'static SelectValueDef`, a rule holds `&'static WorkflowDef`: a reference to an object that
//! does not exist does not compile. What the type system cannot say (a select value belongs to
//! *its* input, an input belongs to the step's function, a rule and its workflows run on the same
//! object) is checked by the package's unit tests.
//!
//! Owned objects have no uuid written here: [`UuidOf::V5`] derives it from a fixed namespace and
//! `"<kind>/<api name>"`, so that every build gives the same uuid and the name alone decides it.

/// The namespace of the package's own uuids (uuid v5 over `"<kind>/<api name>"`). Fixed forever:
/// changing it would make every owned object look new to an org that has the package installed.
pub const NAMESPACE: uuid::Uuid = uuid::uuid!("8bed6e90-b7a1-415f-875b-4b3873d0d759");

/// Where an object's uuid comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UuidOf {
    /// The uuid the owning integration gave it (read from its export).
    Real(&'static str),
    /// Derived: uuid v5 in [`NAMESPACE`] of `"<kind>/<api name>"`. Used for the package's own
    /// objects, and for the few dependency objects no export available to us carries.
    V5,
}

impl UuidOf {
    /// The uuid, given the kind word and API name used for derived ones.
    pub fn resolve(self, kind: &str, api_name: &str) -> String {
        match self {
            UuidOf::Real(u) => u.to_owned(),
            UuidOf::V5 => derived_uuid(kind, api_name),
        }
    }
}

/// uuid v5 of `"<kind>/<api name>"` in [`NAMESPACE`], e.g. `workflow/qradar_advisor_map_rule_to_tactic`.
pub fn derived_uuid(kind: &str, api_name: &str) -> String {
    uuid::Uuid::new_v5(&NAMESPACE, format!("{kind}/{api_name}").as_bytes()).to_string()
}

/// The kind words of derived uuids (`"<kind>/<api name>"`).
pub mod kind_word {
    pub const RULE: &str = "rule";
    pub const WORKFLOW: &str = "workflow";
    pub const DATA_TABLE: &str = "data_table";
    /// Fields and columns; their API name is the `export_key` (`<type>/<name>`).
    pub const FIELD: &str = "field";
}

/// A field's `input_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputType {
    Text,
    Textarea,
    Boolean,
    Select,
    Number,
}

impl InputType {
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::Text => "text",
            InputType::Textarea => "textarea",
            InputType::Boolean => "boolean",
            InputType::Select => "select",
            InputType::Number => "number",
        }
    }
}

/// A message destination: the queue an integration's functions are delivered on.
#[derive(Debug, PartialEq, Eq)]
pub struct DestinationDef {
    pub uuid: &'static str,
    /// `programmatic_name` (functions' `destination_handle`).
    pub programmatic_name: &'static str,
    /// Display `name` (rules name destinations by it).
    pub name: &'static str,
}

/// One value of a select input field; workflows choose it by uuid.
#[derive(Debug, PartialEq, Eq)]
pub struct SelectValueDef {
    pub uuid: &'static str,
    pub label: &'static str,
    /// The value the designer preselects.
    pub default: bool,
}

/// A function input field (`__function/<name>`, type_id 11).
#[derive(Debug, PartialEq, Eq)]
pub struct InputDef {
    pub uuid: &'static str,
    pub name: &'static str,
    /// The label (`text`); integrations use the API name.
    pub text: &'static str,
    pub tooltip: &'static str,
    pub placeholder: &'static str,
    pub input_type: InputType,
    pub values: &'static [&'static SelectValueDef],
}

/// A function: what a workflow step calls.
#[derive(Debug, PartialEq, Eq)]
pub struct FunctionDef {
    pub uuid: &'static str,
    /// API name (`name` = `export_key`).
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub destination: &'static DestinationDef,
    /// The inputs, in the order the function's form shows them.
    pub inputs: &'static [&'static InputDef],
}

/// A custom incident field (`incident/<name>`, prefix `properties`).
#[derive(Debug, PartialEq, Eq)]
pub struct IncidentFieldDef {
    pub uuid: &'static str,
    pub name: &'static str,
    pub text: &'static str,
    pub tooltip: &'static str,
    pub placeholder: &'static str,
    pub input_type: InputType,
}

/// A data table column.
#[derive(Debug, PartialEq, Eq)]
pub struct ColumnDef {
    pub uuid: UuidOf,
    pub name: &'static str,
    pub text: &'static str,
    pub tooltip: &'static str,
    pub input_type: InputType,
    pub rich_text: bool,
    /// Position in the table (SOAR's `order`).
    pub order: i64,
    /// Column width in pixels, as the table designer stores it.
    pub width: i64,
}

/// A data table (`types[]`, type_id 8) on incidents.
#[derive(Debug, PartialEq, Eq)]
pub struct TableDef {
    pub uuid: UuidOf,
    pub type_name: &'static str,
    pub display_name: &'static str,
    pub columns: &'static [&'static ColumnDef],
}

impl TableDef {
    pub fn uuid(&self) -> String {
        self.uuid.resolve(kind_word::DATA_TABLE, self.type_name)
    }

    /// The column's `export_key`: `<table>/<column>`.
    pub fn column_key(&self, column: &ColumnDef) -> String {
        format!("{}/{}", self.type_name, column.name)
    }

    pub fn column_uuid(&self, column: &ColumnDef) -> String {
        column
            .uuid
            .resolve(kind_word::FIELD, &self.column_key(column))
    }

    pub fn column(&self, name: &str) -> Option<&'static ColumnDef> {
        self.columns.iter().copied().find(|c| c.name == name)
    }
}

/// What a rule or workflow runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Incident,
    Artifact,
    /// A row of this data table.
    Table(&'static TableDef),
}

impl ObjectType {
    /// SOAR's `object_type`: `incident`, `artifact` or the table's `type_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Incident => "incident",
            ObjectType::Artifact => "artifact",
            ObjectType::Table(t) => t.type_name,
        }
    }
}

/// A static value given to one input of a workflow step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticValue {
    /// One value of the input's select list.
    Select(&'static SelectValueDef),
    Boolean(bool),
    Text(&'static str),
}

/// `input` ← `value`, set in the designer rather than by the pre-processing script.
#[derive(Debug, PartialEq, Eq)]
pub struct StaticInputDef {
    pub input: &'static InputDef,
    pub value: StaticValue,
}

/// A python3 script under `templates/`, embedded in the binary.
#[derive(Debug, PartialEq, Eq)]
pub struct ScriptDef {
    /// Path under `templates/`, e.g. `scripts/offense_analysis_pre.py`.
    pub path: &'static str,
    pub text: &'static str,
}

/// One function step of a workflow.
#[derive(Debug, PartialEq, Eq)]
pub struct StepDef {
    pub function: &'static FunctionDef,
    pub inputs: &'static [StaticInputDef],
    pub pre: Option<&'static ScriptDef>,
    pub post: Option<&'static ScriptDef>,
    /// The name later steps read the result under (`workflow.properties.<result_name>`), or "".
    pub result_name: &'static str,
}

/// A linear workflow: start → steps → end.
#[derive(Debug, PartialEq, Eq)]
pub struct WorkflowDef {
    pub uuid: UuidOf,
    pub programmatic_name: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub object_type: ObjectType,
    pub steps: &'static [StepDef],
}

impl WorkflowDef {
    pub fn uuid(&self) -> String {
        self.uuid
            .resolve(kind_word::WORKFLOW, self.programmatic_name)
    }
}

/// The field a rule condition tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionField {
    /// `incident.properties.<name>`.
    Incident(&'static IncidentFieldDef),
    /// `<table>.<column>`.
    Column(&'static TableDef, &'static ColumnDef),
}

impl ConditionField {
    /// SOAR's `field_name`.
    pub fn field_name(self) -> String {
        match self {
            ConditionField::Incident(f) => format!("incident.properties.{}", f.name),
            ConditionField::Column(t, c) => format!("{}.{}", t.type_name, c.name),
        }
    }
}

/// A condition method that takes no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    HasAValue,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::HasAValue => "has_a_value",
        }
    }
}

/// One condition of a rule.
#[derive(Debug, PartialEq, Eq)]
pub struct ConditionDef {
    pub field: ConditionField,
    pub method: Method,
}

/// A manual rule: a menu item that runs workflows.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleDef {
    pub uuid: UuidOf,
    pub name: &'static str,
    pub object_type: ObjectType,
    /// All must hold (`logic_type` `all`).
    pub conditions: &'static [ConditionDef],
    pub workflows: &'static [&'static WorkflowDef],
}

impl RuleDef {
    pub fn uuid(&self) -> String {
        self.uuid.resolve(kind_word::RULE, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuids_are_v5_and_depend_on_kind_and_name() {
        let a = derived_uuid("workflow", "x");
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 5);
        assert_eq!(a, derived_uuid("workflow", "x"));
        assert_ne!(a, derived_uuid("rule", "x"));
        assert_ne!(a, derived_uuid("workflow", "y"));
    }
}
