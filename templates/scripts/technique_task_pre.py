# Workflow "Example: MITRE Add a Task from a Technique" (MITRE integration, on a
# "MITRE ATT&CK Techniques" row). Step "MITRE Technique Information", pre-processing (python3).

inputs.mitre_technique_id = row.technique_id
inputs.mitre_technique_name = row.technique_name
