package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/certs"
	"github.com/concorddb/concord/server"
)

// shutdownGrace is how long `concord serve` waits for commands in flight (commits included) after SIGINT or
// SIGTERM before closing the remaining connections.
const shutdownGrace = 30 * time.Second

// Serve runs `concord serve`: it opens the database in --dir and serves it over the MongoDB wire protocol on
// --addr as the primary of the one-member replica set --replset, until SIGINT or SIGTERM. On a signal it stops
// accepting, lets commands in flight finish (up to shutdownGrace), aborts open transactions and closes the
// database cleanly.
func Serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("dir", "./concord-data", "data directory (created if missing)")
	addr := fs.String("addr", server.DefaultAddr, "TCP address to listen on, host:port (port 0 picks a free one)")
	replSet := fs.String("replset", server.DefaultReplSetName, "replica-set name announced to clients")
	advertise := fs.String("advertise", "", "host:port announced to clients as the set's member; it must be the address clients dial (default: --addr)")
	requireAuth := fs.Bool("auth", false, "require every client to authenticate (SCRAM) and enforce the users' roles, as mongod --auth")
	tlsCert := fs.String("tls-cert", "", "PEM certificate chain of the server: serve TLS only (1.2 or later) and refuse plaintext")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	tlsCA := fs.String("tls-ca", "", "PEM CA certificates: require client certificates signed by them (needs --tls-cert)")
	maxConns := fs.Int("max-conns", 0, "refuse connections past this many open ones (mongod's maxIncomingConnections; 0: no bound)")
	idleTimeout := fs.Duration("auth-idle-timeout", time.Minute, "with --auth, close a connection that has not authenticated and is idle this long (0: never)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

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
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		db.Close()
		return err
	}
	adv := *advertise
	if adv == "" {
		adv = defaultAdvertise(*addr, l.Addr())
	}
	logger := log.New(os.Stderr, "concord: ", log.LstdFlags)
	srv := &server.Server{DB: db, ReplSetName: *replSet, AdvertiseAddr: adv, ErrorLog: logger,
		Auth: *requireAuth, MaxConns: *maxConns}
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
		go reloadOnHUP(hup, tlsFiles, logger)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Printf("serving %s on %s (replica set %q, advertised as %s; auth %v, TLS %v)", *dir, l.Addr(), *replSet, adv, *requireAuth, tlsFiles != nil)

	var serveErr error
	select {
	case <-ctx.Done():
		logger.Printf("shutting down")
	case serveErr = <-served:
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Printf("shutdown: %v; closing remaining connections", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, server.ErrServerClosed) {
		return serveErr
	}
	logger.Printf("stopped")
	return nil
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
