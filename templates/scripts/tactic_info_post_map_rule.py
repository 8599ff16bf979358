# Workflow "Example of mapping QRadar rule to tactic" (on a "QRadar Reference Set" row)
# Step "MITRE Tactic Information", post-processing script (python3).
#
# Writes one row per tactic to the package's data table "MITRE ATT&CK of Artifact"
# (mitre_attack_of_artifact): the artifact value from the reference set row, the tactic, its
# code, QRadar Advisor's confidence for the mapping ("high", "medium", "low") and a link; and
# one row per technique of that tactic to "MITRE ATT&CK Techniques" (mitre_attack_techniques).
#
# Accepts both shapes of the MITRE integration's result:
#   1.0: results.mitre_tactics -> [{"tactic_name", "tactic_id", "tactic_ref",
#          "techs": [{"name", "description", "external_references": [{"url"}],
#                     "x_mitre_detection", "mitre_tech_id"}]}]
#   2.x: results.content["mitre_tactics"] -> [{"name", "id", "ref",
#          "mitre_techniques": [{"name", "description", "external_references": [{"url"}],
#                                "x_mitre_detection", "id"}]}]


def first_of(obj, *keys):
    """The value of the first key obj has with a value that is not None, else None."""
    for key in keys:
        if key in obj and obj[key] is not None:
            return obj[key]
    return None


def link(url):
    return '<a href="{0}">{0}</a><br>'.format(url)


if "mitre_tactics" in results:
    mitre_tactics = results["mitre_tactics"]
elif "content" in results and results["content"] is not None and "mitre_tactics" in results["content"]:
    mitre_tactics = results["content"]["mitre_tactics"]
else:
    raise ValueError(
        "MITRE Tactic Information returned no mitre_tactics (neither the 1.0 result nor the "
        "2.x content envelope), so no rows were written."
    )

# QRadar Advisor's confidence per tactic name, from the first step's result.
confidence_by_name = {}
rule_map = workflow.properties.qraw_rule_map
tactics = rule_map["tactics"] if rule_map is not None and "tactics" in rule_map else None
mapping = tactics["mapping"] if tactics is not None and "mapping" in tactics else None
for name in mapping or {}:
    entry = mapping[name]
    if entry is not None and "confidence" in entry:
        confidence_by_name[name] = entry["confidence"]

artifact_value = row.item_value

for tactic in mitre_tactics or []:
    tactic_name = first_of(tactic, "tactic_name", "name") or ""
    tactic_ref = first_of(tactic, "tactic_ref", "ref") or ""
    confidence = confidence_by_name.get(tactic_name)

    artifact_row = incident.addRow("mitre_attack_of_artifact")
    artifact_row["artifact"] = artifact_value
    artifact_row["attack_tactic"] = tactic_name
    artifact_row["tactic_code"] = first_of(tactic, "tactic_id", "id") or ""
    artifact_row["confidence"] = "" if confidence is None else str(confidence)
    artifact_row["reference"] = helper.createRichText(link(tactic_ref) if tactic_ref else "")

    for technique in first_of(tactic, "techs", "mitre_techniques") or []:
        urls = []
        for reference in first_of(technique, "external_references") or []:
            url = first_of(reference, "url")
            if url:
                urls.append(url)
        technique_row = incident.addRow("mitre_attack_techniques")
        technique_row["tactic"] = tactic_name
        technique_row["technique_name"] = first_of(technique, "name") or ""
        technique_row["technique_id"] = first_of(technique, "mitre_tech_id", "id") or ""
        technique_row["tech_description"] = first_of(technique, "description") or ""
        technique_row["detection"] = first_of(technique, "x_mitre_detection") or ""
        technique_row["references"] = helper.createRichText("".join(link(url) for url in urls))
