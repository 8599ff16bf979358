# Workflow "Example of finding all QRadar reference sets for artifact" (QRadar integration, on
# an artifact). Step "QRadar Find Reference Sets", pre-processing script (python3).

inputs.qradar_reference_set_item_value = artifact.value
