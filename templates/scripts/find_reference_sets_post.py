# Workflow "Example of finding all QRadar reference sets for artifact" (QRadar integration, on
# an artifact). Step "QRadar Find Reference Sets", post-processing script (python3).
#
# One "QRadar Reference Set" row per reference set holding the artifact's value, with the
# element's source (the QRadar rule that added it, or the user who did), or a note when no
# reference set holds it. results.reference_items is the list of QRadar reference sets:
#   [{"name": "RF Risklist Source", "data": [{"value": "192.168.0.155",
#     "source": "RF Risklist Source Log", "first_seen": ..., "last_seen": ...}], ...}]

items = results["reference_items"] if "reference_items" in results else None

if items:
    for item in items:
        data = item["data"] if "data" in item and item["data"] is not None else []
        element = None
        for candidate in data:
            if "value" in candidate and candidate["value"] == artifact.value:
                element = candidate
                break
        if element is None and data:
            element = data[0]

        reference_row = incident.addRow("qradar_reference_set")
        reference_row["reference_set"] = item["name"] if "name" in item else ""
        reference_row["item_value"] = element["value"] if element is not None and "value" in element else artifact.value
        reference_row["source"] = element["source"] if element is not None and "source" in element else ""
else:
    incident.addNote("No reference sets contain artifact: {0}".format(artifact.value))
