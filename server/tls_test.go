package server_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/certs"
	"github.com/concorddb/concord/certs/certstest"
	"github.com/concorddb/concord/server"
)

// tlsEnv is a server with Auth on behind a TLS listener, and a user "app" with readWrite on "shop".
type tlsEnv struct {
	addr  string
	files *certs.Files
}

func newTLSEnv(t *testing.T, cfg certs.Config) *tlsEnv {
	t.Helper()
	files, err := certs.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = auth.NewStore(db).CreateUser(context.Background(), auth.NewUser{Name: auth.UserName{User: "app", DB: "admin"}, Password: "pw", Roles: []auth.RoleName{{Role: "readWrite", DB: "shop"}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{DB: db, Auth: true}
	go srv.Serve(tls.NewListener(l, files.TLSConfig()))
	t.Cleanup(func() {
		srv.Close()
		db.Close()
	})
	return &tlsEnv{addr: l.Addr().String(), files: files}
}

// insertOver connects as app with tlsCfg (nil: plaintext) and inserts one document.
//
// A client the server must serve gets 30 s (a loaded machine runs the TLS handshake and SCRAM's 15000
// iterations slowly under -race); one it must refuse fails only at the timeout, so it gets 2 s.
func insertOver(t *testing.T, addr string, tlsCfg *tls.Config, served bool) error {
	t.Helper()
	timeout := 2 * time.Second
	if served {
		timeout = 30 * time.Second
	}
	opts := options.Client().ApplyURI("mongodb://app:pw@" + addr + "/?authSource=admin").SetServerSelectionTimeout(timeout)
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	c, err := mongo.Connect(opts)
	if err != nil {
		return err
	}
	defer c.Disconnect(context.Background())
	_, err = c.Database("shop").Collection("orders").InsertOne(context.Background(), bson.D{{Key: "x", Value: 1}})
	return err
}

func TestTLS(t *testing.T) {
	t.Parallel()
	ca := certstest.NewCA(t, "ca")
	certFile, keyFile := ca.Issue(t, "server", "127.0.0.1", "localhost")
	e := newTLSEnv(t, certs.Config{CertFile: certFile, KeyFile: keyFile})
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool}, true); err != nil {
		t.Fatalf("authenticated insert over TLS: %v", err)
	}
	if err := insertOver(t, e.addr, nil, false); err == nil {
		t.Error("a plaintext client was served")
	}
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool, MaxVersion: tls.VersionTLS11}, false); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	other := certstest.NewCA(t, "other")
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: other.Pool}, false); err == nil {
		t.Error("a client that does not trust the server's CA connected")
	}
}

func TestTLS_ClientCertificates(t *testing.T) {
	t.Parallel()
	ca := certstest.NewCA(t, "ca")
	certFile, keyFile := ca.Issue(t, "server", "127.0.0.1")
	e := newTLSEnv(t, certs.Config{CertFile: certFile, KeyFile: keyFile, CAFile: ca.File})
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool}, false); err == nil {
		t.Error("a client without a certificate was served")
	}
	stranger := certstest.NewCA(t, "stranger")
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{stranger.ClientCert(t, "c")}}, false); err == nil {
		t.Error("a client certificate of another CA was accepted")
	}
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.ClientCert(t, "client")}}, true); err != nil {
		t.Errorf("a client with a certificate of the CA: %v", err)
	}
}

// TestTLS_Reload replaces the certificate files and reloads: new connections get the new certificate.
func TestTLS_Reload(t *testing.T) {
	t.Parallel()
	ca := certstest.NewCA(t, "ca")
	certFile, keyFile := ca.Issue(t, "server", "127.0.0.1")
	e := newTLSEnv(t, certs.Config{CertFile: certFile, KeyFile: keyFile})
	next := certstest.NewCA(t, "next")
	nextCert, nextKey := next.Issue(t, "server2", "127.0.0.1")
	for src, dst := range map[string]string{nextCert: certFile, nextKey: keyFile} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool}, true); err != nil {
		t.Fatalf("before Reload the old certificate is served: %v", err)
	}
	if err := e.files.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: next.Pool}, true); err != nil {
		t.Errorf("after Reload, the new certificate: %v", err)
	}
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: ca.Pool}, false); err == nil {
		t.Error("after Reload, the old certificate is still served")
	}
	if err := os.WriteFile(certFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.files.Reload(); err == nil {
		t.Error("Reload accepted a broken certificate file")
	}
	if err := insertOver(t, e.addr, &tls.Config{RootCAs: next.Pool}, true); err != nil {
		t.Errorf("a failed Reload dropped the working certificate: %v", err)
	}
}
