// Command dhis2sim serves the simulator of package internal/dhis2sim: a
// DHIS2 with chap-core behind its route (the default), an Open Climate
// Service (--service=ocs) or a chapkit service (--service=chapkit), with
// scenarios for every fault the checks know, for demos and for trying
// chap_exporter by hand. `dhis2sim --list-scenarios` lists them.
package main
