// Command panic: a config loader whose error is passed to panic in the main
// goroutine and left unrecovered (run with `go run`, which adds "exit status 2").
package main

import (
	"log"
	"os"

	"example.com/weft-samples/internal/pinnedlog"
)

type pipelineConfig struct {
	path string
	raw  []byte
}

func loadConfig(path string) *pipelineConfig {
	raw, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return &pipelineConfig{path: path, raw: raw}
}

func main() {
	pinnedlog.Install("2026/11/29 05:20:00")
	log.Print("ingest-agent 0.4.1 starting")
	log.Print("loading pipeline config from config/pipeline.yaml")
	cfg := loadConfig("config/pipeline.yaml")
	log.Printf("loaded %d bytes", len(cfg.raw))
}
