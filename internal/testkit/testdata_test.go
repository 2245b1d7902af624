package testkit

import "testing"

func TestExpand(t *testing.T) {
	vars := map[string]string{"SIM_URL": "http://127.0.0.1:9", "TOKEN": "d2pat_x"}
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"every placeholder, some twice", "url: ${SIM_URL}\nother: ${SIM_URL}/x\nauth: {token: ${TOKEN}}\n",
			"url: http://127.0.0.1:9\nother: http://127.0.0.1:9/x\nauth: {token: d2pat_x}\n", ""},
		{"a dollar that is no placeholder stays", "password: a$b ${lower} $TOKEN ${TOKEN}${SIM_URL}\n",
			"password: a$b ${lower} $TOKEN d2pat_xhttp://127.0.0.1:9\n", ""},
		{"a placeholder without value", "url: ${SIM_URL} ${OCS_URL} ${TOKEN} ${OCS_URL}", "", "no value for ${OCS_URL}"},
		{"a value without placeholder", "url: ${SIM_URL}", "", "no ${TOKEN} to replace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(tt.in, vars)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("expand() = %q, error %q; want %q, error %q", got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}
