package server

// crudCommands holds the data commands (CRUD, cursors, catalog, profiling). It is merged into the one command
// table of commands.go.
var crudCommands = map[string]Command{}
