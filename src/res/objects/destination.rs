//! Message destinations (`message_destinations[]`): the queues functions are delivered on.
use crate::res::ids::{DestinationName, ObjectUuid};

res_object! {
    /// A message destination. Rules name it by display `name`, functions by `programmatic_name`.
    pub struct MessageDestination {
        uuid: ObjectUuid,
        export_key: String,
        name: String,
        programmatic_name: DestinationName,
        destination_type: serde_json::Value,
        expect_ack: bool,
        users: Vec<serde_json::Value>,
        api_keys: Vec<serde_json::Value>,
    }
}
