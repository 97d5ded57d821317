// Package certs gives concord serve's ports their TLS configuration: a server certificate and key read from PEM
// files, optionally a CA whose certificates clients must present, TLS 1.2 at least, and a Reload that reads the
// files again (on SIGHUP) without dropping a connection. The MongoDB, PostgreSQL and HTTP ports share one Files:
//
//	f, err := certs.Load(certs.Config{CertFile: "server.pem", KeyFile: "server.key", CAFile: "ca.pem"})
//	l = tls.NewListener(l, f.TLSConfig())        // MongoDB and PostgreSQL ports (pgproto3 upgrades after SSLRequest)
//	httpServer.TLSConfig = f.TLSConfig()         // HTTP port, then ListenAndServeTLS("", "")
//
// A listener wrapped this way refuses plaintext: a client that does not start with a TLS handshake is
// disconnected.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// Config names the PEM files.
type Config struct {
	// CertFile holds the server's certificate chain and KeyFile its private key; both are required.
	CertFile, KeyFile string
	// CAFile, when set, holds the CA certificates client certificates must chain to: every client must then
	// present a valid certificate.
	CAFile string
}

// Files is a loaded Config. It is safe for concurrent use: handshakes read the current state while Reload
// replaces it.
type Files struct {
	cfg   Config
	state atomic.Pointer[state]
}

// state is what one load read.
type state struct {
	cert    tls.Certificate
	clients *x509.CertPool
}

// Load reads the files of cfg.
func Load(cfg Config) (*Files, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, errors.New("certs: a certificate file and a key file are both required")
	}
	f := &Files{cfg: cfg}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads the files again. On error the previous certificates stay in use; new handshakes use the new
// ones, established connections keep theirs.
func (f *Files) Reload() error {
	cert, err := tls.LoadX509KeyPair(f.cfg.CertFile, f.cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("certs: loading %s and %s: %w", f.cfg.CertFile, f.cfg.KeyFile, err)
	}
	st := &state{cert: cert}
	if f.cfg.CAFile != "" {
		pem, err := os.ReadFile(f.cfg.CAFile)
		if err != nil {
			return fmt.Errorf("certs: %w", err)
		}
		st.clients = x509.NewCertPool()
		if !st.clients.AppendCertsFromPEM(pem) {
			return fmt.Errorf("certs: no certificate in %s", f.cfg.CAFile)
		}
	}
	f.state.Store(st)
	return nil
}

// TLSConfig returns a server configuration that reads the current certificates at every handshake: TLS 1.2 or
// later, and client certificates required and verified when a CA file was given.
func (f *Files) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			st := f.state.Load()
			c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{st.cert}}
			if st.clients != nil {
				c.ClientCAs = st.clients
				c.ClientAuth = tls.RequireAndVerifyClientCert
			}
			return c, nil
		},
	}
}
