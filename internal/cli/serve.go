package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/certs"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/internal/mongolog"
	"github.com/concorddb/concord/monitor"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/sql"
)

// DefaultPGAddr is where `concord serve` listens for PostgreSQL clients: beside PostgreSQL's own 5432.
const DefaultPGAddr = "127.0.0.1:5433"

// shutdownGrace is how long `concord serve` waits for commands in flight (commits included) after SIGINT or
// SIGTERM before closing the remaining connections.
const shutdownGrace = 30 * time.Second

// Serve runs `concord serve`: it opens the database in --dir and serves it over the MongoDB wire protocol on
// --addr as the primary of the one-member replica set --replset, and over the PostgreSQL protocol on --pg-addr,
// until SIGINT or SIGTERM. On a signal it stops
// accepting, lets commands in flight finish (up to shutdownGrace), aborts open transactions and closes the
// database cleanly.
func Serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("dir", "./concord-data", "data directory (created if missing)")
	addr := fs.String("addr", server.DefaultAddr, "TCP address to listen on, host:port (port 0 picks a free one)")
	replSet := fs.String("replset", server.DefaultReplSetName, "replica-set name announced to clients")
	advertise := fs.String("advertise", "", "host:port announced to clients as the set's member; it must be the address clients dial (default: --addr)")
	pgAddr := fs.String("pg-addr", DefaultPGAddr, "TCP address for the PostgreSQL protocol, host:port (\"\" turns it off)")
	sockDir := fs.String("unix-socket-dir", DefaultUnixSocketDir, "directory of the Unix-domain sockets, mongodb-<port>.sock for the MongoDB port and .s.PGSQL.<port> for the PostgreSQL port, as mongod and PostgreSQL name theirs; they serve plaintext even with --tls-cert (\"\" turns them off)")
	logLevel := fs.String("log-level", "info", "least severity logged on stderr as mongod's JSON lines: debug, info, warn or error")
	httpAddr := fs.String("http-addr", monitor.DefaultAddr, "HTTP address of /metrics, /healthz and the dashboard; \"\" turns it off")
	requireAuth := fs.Bool("auth", false, "require every client to authenticate (SCRAM) and enforce the users' roles, as mongod --auth")
	tlsCert := fs.String("tls-cert", "", "PEM certificate chain of the server: serve TLS only (1.2 or later) and refuse plaintext")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	tlsCA := fs.String("tls-ca", "", "PEM CA certificates: require client certificates signed by them (needs --tls-cert)")
	maxConns := fs.Int("max-conns", 0, "refuse connections past this many open ones (mongod's maxIncomingConnections; 0: no bound)")
	idleTimeout := fs.Duration("auth-idle-timeout", time.Minute, "with --auth, close a connection that has not authenticated and is idle this long (0: never)")
	ttlSleep := fs.Int("ttl-monitor-sleep-secs", 60, "seconds between two passes of the TTL monitor that removes expired documents (mongod's ttlMonitorSleepSecs; also settable with setParameter)")
	testCommands := fs.Bool("enable-test-commands", false, "serve test-only commands (configureFailPoint), as mongod's enableTestCommands; never in production")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	level, err := mongolog.ParseLevel(*logLevel)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(mongolog.NewHandler(os.Stderr, level))
	var tlsFiles *certs.Files
	if *tlsCert != "" || *tlsKey != "" || *tlsCA != "" {
		f, err := certs.Load(certs.Config{CertFile: *tlsCert, KeyFile: *tlsKey, CAFile: *tlsCA})
		if err != nil {
			return err
		}
		tlsFiles = f
	}

	tuneRuntime()
	db, err := concord.Open(*dir, nil)
	if err != nil {
		return fmt.Errorf("opening %s: %w", *dir, err)
	}
	if *ttlSleep < 1 {
		db.Close()
		return fmt.Errorf("--ttl-monitor-sleep-secs must be at least 1, got %d", *ttlSleep)
	}
	frontend.SetTTLMonitorSleep(db, time.Duration(*ttlSleep)*time.Second)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		db.Close()
		return err
	}
	var pgl net.Listener
	if *pgAddr != "" {
		if pgl, err = net.Listen("tcp", *pgAddr); err != nil {
			l.Close()
			db.Close()
			return fmt.Errorf("listening for PostgreSQL on %s: %w", *pgAddr, err)
		}
	}
	adv := *advertise
	if adv == "" {
		adv = defaultAdvertise(*addr, l.Addr())
	}
	srv := &server.Server{DB: db, ReplSetName: *replSet, AdvertiseAddr: adv, Logger: logger,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError),
		Auth:     *requireAuth, MaxConns: *maxConns, EnableTestCommands: *testCommands, Users: auth.NewStore(db),
		AuthThrottle: &auth.Throttle{}} // shared by the SQL port: an address's failures count on both
	if *testCommands {
		logger.Warn("test commands enabled: any client can make other clients' commands fail", "c", "CONTROL")
	}
	if *requireAuth {
		srv.UnauthenticatedIdleTimeout = *idleTimeout
	}
	if tlsFiles != nil {
		l = tls.NewListener(l, tlsFiles.TLSConfig())
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer func() {
			signal.Stop(hup)
			close(hup)
		}()
		go reloadOnHUP(hup, tlsFiles, slog.NewLogLogger(logger.Handler(), slog.LevelInfo))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Info(fmt.Sprintf("serving %s on %s (replica set %q, advertised as %s)", *dir, l.Addr(), *replSet, adv),
		"c", "NETWORK", "id", 23016, "port", l.Addr().(*net.TCPAddr).Port)
	var pgsrv *pgserver.Server
	pgServed := make(chan error, 1)
	if pgl != nil {
		pgsrv = &pgserver.Server{Engine: sql.NewEngine(db), Logf: slog.NewLogLogger(logger.Handler(), slog.LevelWarn).Printf,
			Auth: *requireAuth, Users: srv.Users, MaxConns: *maxConns, AuthThrottle: srv.AuthThrottle}
		if tlsFiles != nil {
			pgsrv.TLSConfig = tlsFiles.TLSConfig()
		}
		go func() { pgServed <- pgsrv.Serve(pgl) }()
		logger.Info("serving PostgreSQL protocol on "+pgl.Addr().String(), "c", "NETWORK")
	}
	if *sockDir != "" {
		socks, err := serveUnixSockets(*sockDir, flagSet(fs, "unix-socket-dir"), logger, srv, l, pgsrv, pgl)
		if err != nil {
			if pgsrv != nil {
				pgsrv.Close()
			}
			srv.Close()
			db.Close()
			return fmt.Errorf("--unix-socket-dir: %w", err)
		}
		// Closed here too: a socket whose Serve has not begun yet is no server's to close.
		defer closeAll(socks)
	}

	if *httpAddr != "" {
		var tlsConfig *tls.Config
		if tlsFiles != nil {
			tlsConfig = tlsFiles.TLSConfig()
		}
		hs, hl, err := listenMonitor(*httpAddr, db, srv, pgsrv, tlsConfig)
		switch {
		case err == nil:
			defer hs.Close()
			scheme := "http"
			if tlsConfig != nil {
				scheme = "https"
			}
			how := ""
			if srv.Auth {
				how = " (basic auth of a user of admin with clusterMonitor, clusterAdmin or root; /healthz open)"
			}
			logger.Info("metrics and dashboard on "+scheme+"://"+hl.Addr().String()+"/"+how, "c", "NETWORK")
		case flagSet(fs, "http-addr"):
			if pgsrv != nil {
				pgsrv.Close()
			}
			srv.Close()
			db.Close()
			return fmt.Errorf("--http-addr: %w", err)
		default:
			// The default port may be taken (another server on this host): the database still serves.
			logger.Warn("no metrics or dashboard", "c", "NETWORK", "error", err)
		}
	}
	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "c", "CONTROL")
	case serveErr = <-served:
	case serveErr = <-pgServed:
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("shutdown timed out; closing remaining connections", "c", "CONTROL", "error", err)
	}
	if pgsrv != nil {
		pgsrv.Close() // aborts the open transactions of PostgreSQL clients
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, server.ErrServerClosed) && !errors.Is(serveErr, pgserver.ErrServerClosed) {
		return serveErr
	}
	logger.Info("stopped", "c", "CONTROL")
	return nil
}

// serveUnixSockets serves srv (listening on l) and pgsrv (on pgl; nil when the PostgreSQL port is off) on
// Unix-domain sockets in dir as well, named after l's and pgl's ports, and returns their listeners, which the
// caller closes when it stops (closing removes the files). A socket that cannot be made is an error when the
// directory was asked for (must; the sockets made before it are closed), else a warning: the TCP ports still
// serve.
func serveUnixSockets(dir string, must bool, logger *slog.Logger, srv *server.Server, l net.Listener, pgsrv *pgserver.Server, pgl net.Listener) ([]net.Listener, error) {
	var made []net.Listener
	ul, err := serveUnix(mongoSocketPath(dir, tcpPort(l.Addr())), mongoSocketMode, false, must, logger, srv.Serve)
	if err != nil {
		return nil, err
	}
	if ul != nil {
		made = append(made, ul)
	}
	if pgsrv != nil {
		ul, err := serveUnix(pgSocketPath(dir, tcpPort(pgl.Addr())), pgSocketMode, true, must, logger, pgsrv.Serve)
		if err != nil {
			closeAll(made)
			return nil, err
		}
		if ul != nil {
			made = append(made, ul)
		}
	}
	return made, nil
}

// serveUnix makes the Unix-domain socket path (listenUnix) and serves it with serve on its own goroutine, logging
// an error it ends with other than the server's closing. A socket that cannot be made is the error returned when
// must is set, else a warning and a nil listener.
func serveUnix(path string, mode os.FileMode, lock, must bool, logger *slog.Logger, serve func(net.Listener) error) (net.Listener, error) {
	ul, err := listenUnix(path, mode, lock)
	if err != nil {
		if must {
			return nil, err
		}
		logger.Warn("no Unix-domain socket", "c", "NETWORK", "error", err)
		return nil, nil
	}
	go func() {
		if err := serve(ul); err != nil && !errors.Is(err, server.ErrServerClosed) && !errors.Is(err, pgserver.ErrServerClosed) {
			logger.Error("serving "+path, "c", "NETWORK", "error", err)
		}
	}()
	logger.Info("listening on "+path, "c", "NETWORK")
	return ul, nil
}

// closeAll closes listeners.
func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// defaultAdvertise is --addr itself when it names a host and a port clients can dial, else the listener's
// address with an unspecified IP replaced by localhost.
func defaultAdvertise(addr string, la net.Addr) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host != "" && port != "0" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			return addr
		}
	}
	h, p, err := net.SplitHostPort(la.String())
	if err != nil {
		return la.String()
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		h = "localhost"
	}
	return net.JoinHostPort(h, p)
}

// listenMonitor serves the monitor of db, srv and pgsrv (nil when the PostgreSQL port is off) over HTTP on addr
// until the returned server is closed: over HTTPS when tlsConfig is set, and behind basic auth of srv's users when
// srv requires authentication.
func listenMonitor(addr string, db *concord.DB, srv *server.Server, pgsrv *pgserver.Server, tlsConfig *tls.Config) (*http.Server, net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if tlsConfig != nil {
		l = tls.NewListener(l, tlsConfig)
	}
	h := &monitor.Handler{
		DB: db,
		Connections: func() map[string]int {
			conns := map[string]int{"mongodb": srv.Connections()}
			if pgsrv != nil {
				conns["postgresql"] = pgsrv.OpenConnections()
			}
			return conns
		},
		Activity: func() []monitor.Activity {
			acts := srv.Activity()
			out := make([]monitor.Activity, len(acts))
			for i, a := range acts {
				out[i] = monitor.Activity(a)
			}
			return out
		},
	}
	if pgsrv != nil {
		h.SQL = func() monitor.SQLCounters {
			st := pgsrv.Engine.Stats()
			return monitor.SQLCounters{Statements: st.Statements, Errors: st.Errors}
		}
	}
	if srv.Auth {
		h.Users, h.AuthThrottle = srv.Users, srv.AuthThrottle
		if h.Users == nil {
			h.Users = auth.NewStore(db)
		}
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(l)
	return hs, l, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// reloadOnHUP reads the TLS files again at every SIGHUP until hup is closed or stopped; a failed reload keeps
// the certificates in use.
func reloadOnHUP(hup <-chan os.Signal, f *certs.Files, logger *log.Logger) {
	for range hup {
		if err := f.Reload(); err != nil {
			logger.Printf("SIGHUP: %v; keeping the certificates in use", err)
			continue
		}
		logger.Printf("SIGHUP: TLS certificates reloaded")
	}
}
