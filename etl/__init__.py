"""Extract, validate, record and publish: everything between a received file and the warehouse."""
