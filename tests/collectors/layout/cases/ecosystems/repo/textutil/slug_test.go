package textutil

import "testing"

func TestSlug(t *testing.T) {
	if Slug("A B") != "a-b" {
		t.Fatal("slug")
	}
}
