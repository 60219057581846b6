package calc

import "testing"

func TestAdd(t *testing.T) {
	if got := Add(2, 2); got != 4 {
		t.Fatalf("Add(2, 2) = %d, want 4", got)
	}
}

func TestHalf(t *testing.T) {
	cases := map[string]struct{ in, want int }{
		"even": {4, 2},
		"odd":  {5, 2},
	}
	for name, c := range cases {
		c := c
		t.Run(name, func(t *testing.T) {
			if got := Half(c.in); got != c.want {
				t.Errorf("Half(%d) = %d, want %d", c.in, got, c.want)
			}
		})
	}
}

func TestAddFailsOnPurpose(t *testing.T) {
	if got := Add(2, 2); got != 5 {
		t.Errorf("Add(2, 2) = %d, want 5", got)
	}
}

func TestNeedsDatabase(t *testing.T) {
	t.Skip("needs a database")
}
