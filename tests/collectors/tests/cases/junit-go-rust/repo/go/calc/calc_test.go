package calc

import "testing"

func TestAdd(t *testing.T) {
	if Add(1, 2) != 3 {
		t.Fatal("wrong")
	}
}

func TestAddNegative(t *testing.T) {
	if got := Add(-1, -2); got != -4 {
		t.Errorf("got %d, want -4", got)
	}
}

func TestNetwork(t *testing.T) {
	t.Skip("needs network")
}

func TestTable(t *testing.T) {
	for _, name := range []string{"zero", "one"} {
		t.Run(name, func(t *testing.T) {})
	}
}
