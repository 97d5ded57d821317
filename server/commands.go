package server

import "fmt"

// commands is the one command table: every command the server answers, by the exact name clients send
// (names are case-sensitive, as in MongoDB; isMaster and ismaster are both real names). The data commands of
// crudCommands and the authentication commands of authCommands are merged in at init. A name missing here is
// CommandNotFound.
var commands = map[string]Command{
	"abortTransaction":               {Handler: handleTxnOutsideSession},
	"buildInfo":                      {Handler: handleBuildInfo},
	"buildinfo":                      {Handler: handleBuildInfo},
	"commitTransaction":              {Handler: handleTxnOutsideSession},
	"compact":                        {Handler: handleCompact},
	"connPoolStats":                  {Handler: handleConnPoolStats},
	"dataSize":                       {Handler: handleDataSize},
	"fsync":                          {Handler: handleFsync},
	"fsyncUnlock":                    {Handler: handleFsyncUnlock},
	"logRotate":                      {Handler: handleLogRotate},
	"setFeatureCompatibilityVersion": {Handler: handleSetFCV},
	"top":                            {Handler: handleTop},
	"validate":                       {Handler: handleValidate},
	"configureFailPoint":             {Handler: handleConfigureFailPoint, TestOnly: true},
	"currentOp":                      {Handler: handleCurrentOp},
	"endSessions":                    {Handler: handleEndSessions},
	"explain":                        {Handler: handleExplain},
	"getCmdLineOpts":                 {Handler: handleGetCmdLineOpts},
	"getLog":                         {Handler: handleGetLog},
	"getParameter":                   {Handler: handleGetParameter},
	"hello":                          {Handler: handleHello},
	"hostInfo":                       {Handler: handleHostInfo},
	"isMaster":                       {Handler: handleHello},
	"ismaster":                       {Handler: handleHello},
	"killAllSessions":                {Handler: handleKillAllSessions},
	"killOp":                         {Handler: handleKillOp},
	"killSessions":                   {Handler: handleEndSessions},
	"listCommands":                   {Handler: handleListCommands},
	"ping":                           {Handler: handlePing},
	"replSetGetStatus":               {Handler: handleReplSetGetStatus},
	"serverStatus":                   {Handler: handleServerStatus},
	"setParameter":                   {Handler: handleSetParameter},
	"whatsmyuri":                     {Handler: handleWhatsMyURI},
}

// commandEntry is a table entry together with its name, so that dispatch takes the name string from the
// table instead of allocating one per request.
type commandEntry struct {
	name   string
	cmd    Command
	access commandAccess
}

// commandIndex is the table as dispatch reads it, built once at init from commands.
var commandIndex map[string]*commandEntry

// init merges the data commands into the table; a name registered twice is a programming error.
func init() {
	// explain's needs are those of the command it explains, read from this same table: set here, as the
	// table's initializer cannot refer to itself.
	commandPrivileges["explain"] = explainNeeds
	for _, more := range []map[string]Command{crudCommands, authCommands} {
		for name, c := range more {
			if _, dup := commands[name]; dup {
				panic(fmt.Sprintf("server: command %q is registered twice", name))
			}
			commands[name] = c
		}
	}
	commandIndex = make(map[string]*commandEntry, len(commands))
	for name, c := range commands {
		commandIndex[name] = &commandEntry{name: name, cmd: c, access: commandAccessOf(name)}
	}
}
