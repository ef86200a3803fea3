// Course: the course's notation and exercises: named matrices (`CourseModel`, JSON), the
// presets of the homework and the lecture, and `Trace`, every gate of every step.
