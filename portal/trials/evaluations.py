"""Members filling in a trial's questionnaire; staff reading one evaluation."""
