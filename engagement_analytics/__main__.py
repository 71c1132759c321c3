from engagement_analytics.tooling.cli import main

raise SystemExit(main())
