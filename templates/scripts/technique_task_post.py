# Workflow "Example: MITRE Add a Task from a Technique" (MITRE integration, on a
# "MITRE ATT&CK Techniques" row). Step "MITRE Technique Information", post-processing (python3).
#
# Creates the task "MITRE ATT&CK Technique: <name>" in phase Detect/Analyze whose instructions
# have a Description, a Detection and a Mitigation section.
#
# Accepts both shapes of the MITRE integration's result:
#   1.0: results -> {"name", "description", "x_mitre_detection", "mitre_tech_id",
#                   "mitre_mitigation": "<description of the first mitigation>"}
#   2.x: results.content["mitre_techniques"] -> [{"name", "description", "x_mitre_detection", "id",
#          "mitre_mitigations": [{"name", "description", "id"}]}]


def first_of(obj, *keys):
    """The value of the first key obj has with a value that is not None, else None."""
    for key in keys:
        if key in obj and obj[key] is not None:
            return obj[key]
    return None


if "content" in results and results["content"] is not None and "mitre_techniques" in results["content"]:
    techniques = results["content"]["mitre_techniques"]
else:
    techniques = results
if not isinstance(techniques, list):
    techniques = [techniques]

for technique in techniques:
    mitigations = first_of(technique, "mitre_mitigations")
    if mitigations:
        parts = []
        for mitigation in mitigations:
            parts.append("<b>{0}</b><p>{1}</p>".format(
                first_of(mitigation, "name") or "", first_of(mitigation, "description") or ""))
        mitigation_text = "".join(parts)
    else:
        mitigation_text = first_of(technique, "mitre_mitigation") or "No mitigations found"

    task_title = "MITRE ATT&CK Technique: " + (first_of(technique, "name") or str(row.technique_name))
    task_summary = (
        "<h1> Description </h1>\n{0}\n"
        "<h1> Detection </h1>\n{1}\n"
        "<h1> Mitigation </h1>\n{2}\n"
    ).format(
        first_of(technique, "description") or "",
        first_of(technique, "x_mitre_detection") or "",
        mitigation_text,
    )
    incident.addTask(task_title, "Detect/Analyze", helper.createRichText(task_summary))
