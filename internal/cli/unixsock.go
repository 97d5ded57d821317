package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultUnixSocketDir is where `concord serve` puts its Unix-domain sockets by default, as mongod's
// unixSocketPrefix and PostgreSQL's unix_socket_directories do.
const DefaultUnixSocketDir = "/tmp"

// mongoSocketPath is mongod's name for the Unix-domain socket of a MongoDB port: what drivers dial for
// mongodb://%2Ftmp%2Fmongodb-27017.sock.
func mongoSocketPath(dir string, port int) string {
	return filepath.Join(dir, "mongodb-"+strconv.Itoa(port)+".sock")
}

// pgSocketPath is libpq's name for the Unix-domain socket of a PostgreSQL port: what `psql -h DIR -p PORT` and
// pgx's host=DIR dial.
func pgSocketPath(dir string, port int) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
}

// Modes of the socket files: mongod's default filePermissions (its owner alone may connect) and PostgreSQL's
// default unix_socket_permissions (anyone on the host may connect; authentication still applies).
const (
	mongoSocketMode os.FileMode = 0o700
	pgSocketMode    os.FileMode = 0o777
)

// listenUnix listens on a Unix-domain socket at path and gives the file mode. A socket file no server accepts
// on any more (one left by a killed process) is replaced; one a live server accepts on, or a file that is not
// a socket, is an error. Closing the listener removes the file.
func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server is listening on it", path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing the stale socket %s: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// tcpPort is the port of a TCP listener's address.
func tcpPort(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.Port
	}
	return 0
}
