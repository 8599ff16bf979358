# Workflow "Example of QRadar Advisor Offense Analysis with MITRE"
# Step "MITRE Tactic Information", post-processing script (python3).
#
# Writes one row per tactic to the data table "MITRE ATT&CK of Incident"
# (mitre_attack_of_incident) with QRadar Advisor's confidence, and one row per technique of
# that tactic to "MITRE ATT&CK Techniques" (mitre_attack_techniques).
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

# QRadar Advisor's confidence per tactic name (0-100), from the first step's result.
confidence_by_name = {}
analysis = workflow.properties.qraw_offense_insights
if analysis is not None and "insights" in analysis and analysis["insights"] is not None:
    insights = analysis["insights"]
    for tactic in (insights["tactics"] if "tactics" in insights else None) or []:
        if "tactic_id" in tactic and "confidence" in tactic:
            confidence_by_name[tactic["tactic_id"]] = tactic["confidence"]

for tactic in mitre_tactics or []:
    tactic_name = first_of(tactic, "tactic_name", "name") or ""
    tactic_ref = first_of(tactic, "tactic_ref", "ref") or ""
    confidence = confidence_by_name.get(tactic_name)

    tactic_row = incident.addRow("mitre_attack_of_incident")
    tactic_row["attack_tactic"] = tactic_name
    tactic_row["tactic_code"] = first_of(tactic, "tactic_id", "id") or ""
    tactic_row["confidence"] = "" if confidence is None else str(confidence)
    tactic_row["reference"] = helper.createRichText(link(tactic_ref) if tactic_ref else "")

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
