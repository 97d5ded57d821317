package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// listenUnix listens on a Unix-domain socket at path whose file has the given mode from the moment anyone can
// reach it: it is made in a private directory beside path, given its mode and then renamed into place. With
// lock, path+".lock" holds the process id first, as PostgreSQL's socket lock file does: a lock file naming a
// live process other than this one is refused, as PostgreSQL refuses it, and PostgreSQL refuses this one while
// the process lives. A socket file whose server is gone (connecting is refused: one left by a killed process) is
// replaced; a live server's, one this process may not connect to, or a file that is not a socket, is refused.
// Closing the listener removes the socket file (while it is still the one made here) and the lock file.
func listenUnix(path string, mode os.FileMode, lock bool) (net.Listener, error) {
	l := &unixListener{path: path}
	if lock {
		if err := takeSocketLock(path + ".lock"); err != nil {
			return nil, err
		}
		l.lock = path + ".lock"
	}
	ok := false
	defer func() {
		if !ok && l.lock != "" {
			os.Remove(l.lock)
		}
	}()
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server is listening on it", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%s exists and may be another server's: %w", path, err)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing the stale socket %s: %w", path, err)
		}
	}
	private, err := os.MkdirTemp(filepath.Dir(path), ".concord-sock-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(private)
	tmp := filepath.Join(private, "s")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	ul.SetUnlinkOnClose(false) // the file moves: Close removes it by path, once checked to be this one
	if err := os.Chmod(tmp, mode); err != nil {
		ul.Close()
		return nil, err
	}
	if l.made, err = os.Lstat(tmp); err != nil {
		ul.Close()
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ul.Close()
		return nil, err
	}
	l.UnixListener, ok = ul, true
	return l, nil
}

// unixListener is listenUnix's listener.
type unixListener struct {
	*net.UnixListener
	path, lock string
	made       os.FileInfo // the socket file as made, to tell it from one another server put at path since
	once       sync.Once
}

// Addr is the socket's path, not the private one it was made at.
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if st, serr := os.Lstat(l.path); serr == nil && os.SameFile(st, l.made) {
			os.Remove(l.path)
		}
		if l.lock != "" {
			os.Remove(l.lock)
		}
	})
	return err
}

// takeSocketLock writes PostgreSQL's socket lock file at path: this process's id on its first line. An existing
// one naming a live process other than this one is an error, as in PostgreSQL; one of a process that is gone is
// replaced.
func takeSocketLock(path string) error {
	for range 2 {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := fmt.Fprintf(f, "%d\n", os.Getpid())
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
			}
			return werr
		}
		if !errors.Is(err, os.ErrExist) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 && pid != os.Getpid() {
			if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
				return fmt.Errorf("lock file %s exists: is another server (PID %d) using the socket?", path, pid)
			}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return fmt.Errorf("lock file %s: taken while it was being replaced", path)
}

// tcpPort is the port of a TCP listener's address.
func tcpPort(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.Port
	}
	return 0
}
