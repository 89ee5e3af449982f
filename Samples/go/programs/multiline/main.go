// Command multiline: a deployment validator that panics with an error whose
// message spans lines (one problem per indented line, then a hint at column
// 0), left unrecovered in the main goroutine (run with `go run`).
package main

import (
	"log"
	"strings"

	"example.com/weft-samples/internal/pinnedlog"
)

type deploymentSpec struct {
	name     string
	replicas int
	image    string
}

type specError struct{ problems []string }

func (e *specError) Error() string {
	return "invalid deployment spec:\n  " + strings.Join(e.problems, "\n  ") +
		"\nsee docs/deploy.md#spec for the schema"
}

func validate(spec deploymentSpec) error {
	var problems []string
	if spec.replicas < 1 {
		problems = append(problems, "field 'replicas': must be >= 1")
	}
	if spec.image == "" {
		problems = append(problems, "field 'image': must not be empty")
	}
	if problems != nil {
		return &specError{problems}
	}
	return nil
}

func mustValidate(spec deploymentSpec) {
	if err := validate(spec); err != nil {
		panic(err)
	}
}

func main() {
	pinnedlog.Install("2026/11/29 05:25:00")
	log.Print("deployctl 1.8.0 starting")
	log.Print("validating deployment \"checkout\"")
	mustValidate(deploymentSpec{name: "checkout", replicas: 0})
	log.Print("deployment is valid")
}
