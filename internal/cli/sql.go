package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/sql"
)

// SQL runs `concord sql --mongodb-uri URI [--pg-addr ADDR]`: the PostgreSQL protocol in front of any MongoDB
// deployment (a replica set, a sharded cluster, Atlas, or `concord serve`), through the official Go driver. The
// statements are those of `concord serve`'s PostgreSQL port; transaction blocks are the driver's session
// transactions, so the deployment must support transactions (a replica set or a sharded cluster). It serves until
// SIGINT or SIGTERM.
func SQL(args []string) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	uri := fs.String("mongodb-uri", "", "MongoDB connection string of the deployment to serve (required), with its credentials")
	pgAddr := fs.String("pg-addr", DefaultPGAddr, "TCP address for the PostgreSQL protocol, host:port")
	maxConns := fs.Int("max-conns", 0, "refuse PostgreSQL connections past this many open ones (0: no bound)")
	sockDir := fs.String("unix-socket-dir", DefaultUnixSocketDir, "directory of the PostgreSQL port's Unix-domain socket, .s.PGSQL.<port> (\"\" turns it off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *uri == "" {
		return errors.New("--mongodb-uri is required")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	client, err := mongo.Connect(options.Client().ApplyURI(*uri).SetAppName("concord sql"))
	if err != nil {
		return fmt.Errorf("--mongodb-uri: %w", err)
	}
	defer client.Disconnect(context.Background())
	pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = client.Ping(pctx, nil)
	cancel()
	if err != nil {
		return fmt.Errorf("reaching %s: %w", *uri, err)
	}
	l, err := net.Listen("tcp", *pgAddr)
	if err != nil {
		return fmt.Errorf("listening for PostgreSQL on %s: %w", *pgAddr, err)
	}
	srv := &pgserver.Server{Engine: sql.NewDriverEngine(client), MaxConns: *maxConns,
		Logf: slog.NewLogLogger(logger.Handler(), slog.LevelWarn).Printf}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Info("serving PostgreSQL protocol in front of MongoDB", "addr", l.Addr().String())
	if *sockDir != "" {
		ul, err := serveUnix(pgSocketPath(*sockDir, tcpPort(l.Addr())), pgSocketMode, true, flagSet(fs, "unix-socket-dir"), logger, srv.Serve)
		if err != nil {
			srv.Close()
			return fmt.Errorf("--unix-socket-dir: %w", err)
		}
		if ul != nil {
			defer ul.Close()
		}
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err = <-served:
	}
	srv.Close() // aborts the open transactions of PostgreSQL clients
	if err != nil && !errors.Is(err, pgserver.ErrServerClosed) {
		return err
	}
	return nil
}
