#!/usr/bin/env bash
# Starts Debian's Orthanc with its DICOMweb plugin on 127.0.0.1:8042 as a benchmark peer:
#   scripts/peer-orthanc.sh [data-dir]   then   npm run bench:dicomweb -- --peer http://127.0.0.1:8042/dicom-web
# Installs the packages (orthanc, orthanc-dicomweb) with apt-get when they are missing.
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then sed -n '2,4p' "$0"; exit 0; fi
dir="${1:-$(mktemp -d /tmp/orthanc-peer-XXXX)}"
if ! command -v Orthanc >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q orthanc orthanc-dicomweb
fi
plugin=$(ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so 2>/dev/null || find /usr -name 'libOrthancDicomWeb.so*' | head -n 1)
mkdir -p "$dir/db"
cat > "$dir/orthanc.json" <<JSON
{
  "Name": "strata-bench-peer",
  "StorageDirectory": "$dir/db",
  "IndexDirectory": "$dir/db",
  "HttpPort": 8042,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomServerEnabled": false,
  "HttpCompressionEnabled": false,
  "Plugins": ["$plugin"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": true, "Ssl": false }
}
JSON
echo "Orthanc data in $dir; DICOMweb at http://127.0.0.1:8042/dicom-web"
exec Orthanc "$dir/orthanc.json"
