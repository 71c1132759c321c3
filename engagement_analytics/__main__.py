from engagement_analytics.cli import main

raise SystemExit(main())
