package server

// crudCommands holds the data commands (CRUD, cursors, catalog, profiling). It is merged into the one command
// table of commands.go. Counter "none" marks the commands the engine counts in opcounters itself; getMore is
// counted by its handler because the server batches cursors above the engine.
var crudCommands = map[string]Command{
	"aggregate":           {Handler: handleAggregate, InTxn: true},
	"collMod":             {Handler: handleCollMod},
	"collStats":           {Handler: handleCollStats},
	"count":               {Handler: handleCount},
	"create":              {Handler: handleCreate, InTxn: true},
	"createIndexes":       {Handler: handleCreateIndexes, InTxn: true},
	"createSearchIndexes": {Handler: handleSearchIndexCommand},
	"dbStats":             {Handler: handleDBStats},
	"delete":              {Handler: handleDelete, InTxn: true, Retryable: true, Counter: "none"},
	"distinct":            {Handler: handleDistinct, InTxn: true},
	"drop":                {Handler: handleDrop},
	"dropDatabase":        {Handler: handleDropDatabase},
	"dropIndexes":         {Handler: handleDropIndexes},
	"dropSearchIndex":     {Handler: handleSearchIndexCommand},
	"find":                {Handler: handleFind, InTxn: true, Counter: "none"},
	"findAndModify":       {Handler: handleFindAndModify, InTxn: true, Retryable: true},
	"findandmodify":       {Handler: handleFindAndModify, InTxn: true, Retryable: true},
	"getMore":             {Handler: handleGetMore, InTxn: true, Counter: "none"},
	"insert":              {Handler: handleInsert, InTxn: true, Retryable: true, Counter: "none"},
	"killCursors":         {Handler: handleKillCursors, InTxn: true},
	"listCollections":     {Handler: handleListCollections},
	"listDatabases":       {Handler: handleListDatabases},
	"listIndexes":         {Handler: handleListIndexes},
	"profile":             {Handler: handleProfile},
	"renameCollection":    {Handler: handleRenameCollection},
	"update":              {Handler: handleUpdate, InTxn: true, Retryable: true, Counter: "none"},
	"updateSearchIndex":   {Handler: handleSearchIndexCommand},
}
