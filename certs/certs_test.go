package certs_test

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/concorddb/concord/certs"
	"github.com/concorddb/concord/certs/certstest"
)

// handshake runs a TLS handshake between a server with cfg and a client with client over loopback TCP.
func handshake(t *testing.T, cfg, client *tls.Config) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errc := make(chan error, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			errc <- err
			return
		}
		s := tls.Server(nc, cfg)
		s.SetDeadline(time.Now().Add(5 * time.Second))
		err = s.Handshake()
		if err == nil {
			// TLS 1.3 finishes the client's handshake before the server checks its certificate: read once
			// so that a refused certificate shows.
			_, err = s.Read(make([]byte, 1))
			if err == io.EOF {
				err = nil
			}
		}
		s.Close()
		errc <- err
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(nc, client)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	cerr := c.Handshake()
	c.Close()
	serr := <-errc
	if cerr != nil {
		return cerr
	}
	return serr
}

func TestLoad(t *testing.T) {
	ca := certstest.NewCA(t, "ca")
	cert, key := ca.Issue(t, "server", "127.0.0.1")
	for _, tc := range []struct {
		name string
		cfg  certs.Config
	}{
		{"no key file", certs.Config{CertFile: cert}},
		{"a missing certificate file", certs.Config{CertFile: cert + ".missing", KeyFile: key}},
		{"a CA file without certificates", certs.Config{CertFile: cert, KeyFile: key, CAFile: key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := certs.Load(tc.cfg); err == nil {
				t.Error("Load succeeded")
			}
		})
	}
}

func TestFiles_TLSConfig(t *testing.T) {
	ca := certstest.NewCA(t, "ca")
	cert, key := ca.Issue(t, "server", "127.0.0.1")
	f, err := certs.Load(certs.Config{CertFile: cert, KeyFile: key, CAFile: ca.File})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.TLSConfig()
	client := &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"}
	if err := handshake(t, cfg, client); err == nil {
		t.Error("a client without a certificate completed the handshake")
	}
	withCert := client.Clone()
	withCert.Certificates = []tls.Certificate{ca.ClientCert(t, "client")}
	if err := handshake(t, cfg, withCert); err != nil {
		t.Errorf("a client with a certificate of the CA: %v", err)
	}
	old := withCert.Clone()
	old.MaxVersion = tls.VersionTLS11
	if err := handshake(t, cfg, old); err == nil {
		t.Error("TLS 1.1 completed the handshake")
	}

	next := certstest.NewCA(t, "next")
	ncert, nkey := next.Issue(t, "server", "127.0.0.1")
	for src, dst := range map[string]string{ncert: cert, nkey: key} {
		data, _ := os.ReadFile(src)
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, cfg, withCert); err == nil {
		t.Error("after Reload the old certificate is still served by a config made before it")
	}
	trustNext := withCert.Clone()
	trustNext.RootCAs = next.Pool
	if err := handshake(t, cfg, trustNext); err != nil {
		t.Errorf("after Reload: %v", err)
	}
}
