package proxy

import "testing"

func TestNewRejectsBadURL(t *testing.T) {
	if _, err := New("://bad"); err == nil {
		t.Fatal("expected an error")
	}
}
