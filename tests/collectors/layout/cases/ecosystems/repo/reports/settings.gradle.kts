rootProject.name = "reports"
include("exporter")
